import { describe, expect, it } from 'vitest';
import {
  formatCost,
  formatDuration,
  formatInt,
  formatNumber,
  formatPercent,
  formatRelative,
  formatTokens,
  humanType,
} from './format';

describe('formatInt / formatNumber / formatTokens', () => {
  it('puts thousands separators and a dash for missing values', () => {
    expect(formatInt(1234567)).toBe('1,234,567');
    expect(formatInt(999.6)).toBe('1,000');
    expect(formatInt(null)).toBe('—');
    expect(formatInt(Number.NaN)).toBe('—');
    expect(formatNumber(1234.5678)).toBe('1,234.57');
    expect(formatNumber(2000, 3)).toBe('2,000');
  });
  it('keeps token counts exact below 100,000 and compact above', () => {
    expect(formatTokens(99_999)).toBe('99,999');
    expect(formatTokens(1_250_000)).toBe('1.25M');
    expect(formatTokens(312_000)).toBe('312K');
  });
});

describe('formatCost', () => {
  it.each([
    [0, '$0.00'],
    [1234.567, '$1,234.57'],
    [1, '$1.00'],
    [0.125, '$0.125'],
    [0.01, '$0.010'],
    [0.00042, '$0.00042'],
    [0.0000123, '$0.000012'],
    [-2.5, '-$2.50'],
    [null, '—'],
  ])('%s → %s', (value, text) => {
    expect(formatCost(value)).toBe(text);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0 ms'],
    [0.42, '0.4 ms'],
    [850.4, '850 ms'],
    [1250, '1.25 s'],
    [1000, '1 s'],
    [12_340, '12.3 s'],
    [125_000, '2 min 5 s'],
    [120_000, '2 min'],
    [3_900_000, '1 h 5 min'],
    [2 * 86_400_000 + 3 * 3_600_000, '2 d 3 h'],
    [null, '—'],
  ])('%s ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatRelative', () => {
  const now = Date.parse('2026-12-03T10:00:00Z');
  it.each([
    ['2026-12-03T09:59:58Z', 'just now'],
    ['2026-12-03T09:59:48Z', '12 s ago'],
    ['2026-12-03T09:57:00Z', '3 min ago'],
    ['2026-12-03T07:30:00Z', '2 h ago'],
    ['2026-11-29T10:00:00Z', '4 d ago'],
    ['2026-12-03T10:05:00Z', 'in 5 min'],
    ['not a date', '—'],
  ])('%s → %s', (iso, text) => {
    expect(formatRelative(iso, now)).toBe(text);
  });
});

describe('formatPercent and humanType', () => {
  it('formats rates', () => {
    expect(formatPercent(0.975)).toBe('97.5%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(null)).toBe('—');
  });
  it('drops underscores', () => {
    expect(humanType('agent_execution_started')).toBe('agent execution started');
  });
});
