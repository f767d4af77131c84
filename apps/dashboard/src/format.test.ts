import { describe, expect, it } from 'vitest';
import {
  formatCompact,
  formatCost,
  formatDuration,
  formatInt,
  formatPercent,
  formatRelative,
} from './format';

describe('formatInt', () => {
  it('puts thousands separators and rounds', () => {
    expect(formatInt(1234567.4)).toBe('1,234,567');
    expect(formatInt(0)).toBe('0');
    expect(formatInt(NaN)).toBe('–');
  });
  it('compacts large numbers', () => {
    expect(formatCompact(12_345)).toBe('12.3K');
  });
});

describe('formatCost', () => {
  it('keeps small LLM costs readable', () => {
    expect(formatCost(0)).toBe('$0');
    expect(formatCost(0.00423)).toBe('$0.0042');
    expect(formatCost(0.1234)).toBe('$0.123');
    expect(formatCost(12.345)).toBe('$12.35');
    expect(formatCost(1234.5)).toBe('$1,235');
    expect(formatCost(0.00001)).toBe('<$0.0001');
    expect(formatCost(-2.5)).toBe('-$2.50');
  });
});

describe('formatDuration', () => {
  it('chooses ms, s, min or h', () => {
    expect(formatDuration(0)).toBe('0 ms');
    expect(formatDuration(420.4)).toBe('420 ms');
    expect(formatDuration(1400)).toBe('1.4 s');
    expect(formatDuration(2000)).toBe('2 s');
    expect(formatDuration(150_000)).toBe('2.5 min');
    expect(formatDuration(4_320_000)).toBe('1.2 h');
    expect(formatDuration(-1)).toBe('–');
  });
});

describe('formatPercent and formatRelative', () => {
  it('formats ratios', () => {
    expect(formatPercent(0.9534)).toBe('95.3%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(null)).toBe('–');
  });
  it('says how long ago', () => {
    const now = 1_700_000_000_000;
    expect(formatRelative(now - 2_000, now)).toBe('just now');
    expect(formatRelative(now - 12_000, now)).toBe('12 s ago');
    expect(formatRelative(now - 3 * 60_000, now)).toBe('3 min ago');
    expect(formatRelative(now - 5 * 3_600_000, now)).toBe('5 h ago');
    expect(formatRelative(now - 3 * 86_400_000, now)).toBe('3 d ago');
  });
});
