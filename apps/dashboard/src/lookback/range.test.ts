import { describe, expect, it } from 'vitest';
import {
  activePreset,
  bucketFor,
  fromLocalInput,
  presetRange,
  toLocalInput,
  validateRange,
} from './range';

const now = Date.parse('2026-12-03T10:00:00Z');

describe('validateRange', () => {
  it('resolves an open range to absolute times', () => {
    const check = validateRange('2026-12-03T09:00:00Z', null, now);
    expect(check).toEqual({
      ok: true,
      from: '2026-12-03T09:00:00.000Z',
      to: '2026-12-03T10:00:00.000Z',
      spanMs: 3_600_000,
    });
  });
  it('defaults a missing from to 24 hours before to', () => {
    const check = validateRange(null, '2026-12-02T00:00:00Z', now);
    expect(check.ok && check.from).toBe('2026-12-01T00:00:00.000Z');
  });
  it('refuses a reversed or empty range before any query', () => {
    const reversed = validateRange('2026-12-03T09:00:00Z', '2026-12-02T09:00:00Z', now);
    expect(reversed).toMatchObject({ ok: false, field: 'from' });
    expect(!reversed.ok && reversed.message).toMatch(/before/);
    expect(validateRange('2026-12-03T09:00:00Z', '2026-12-03T09:00:00Z', now).ok).toBe(false);
  });
  it('refuses bad dates, ranges over 366 days and a future start', () => {
    expect(validateRange('garbage', null, now)).toMatchObject({ ok: false, field: 'from' });
    expect(validateRange(null, 'garbage', now)).toMatchObject({ ok: false, field: 'to' });
    expect(validateRange('2025-01-01T00:00:00Z', '2026-12-03T00:00:00Z', now)).toMatchObject({
      ok: false,
    });
    expect(validateRange('2026-12-04T00:00:00Z', '2026-12-05T00:00:00Z', now)).toMatchObject({
      ok: false,
    });
  });
});

describe('presets', () => {
  it('makes open-ended ranges and recognises them', () => {
    const r = presetRange('7d', now);
    expect(r).toEqual({ from: '2026-11-26T10:00:00.000Z', to: null });
    expect(activePreset(r.from, r.to, now + 60_000)).toBe('7d');
    expect(activePreset(presetRange('1h', now).from, null, now)).toBe('1h');
    expect(activePreset(null, null, now)).toBe('24h');
    expect(activePreset(r.from, '2026-12-03T00:00:00Z', now)).toBeNull();
    expect(activePreset('2026-12-03T05:00:00Z', null, now)).toBeNull();
  });
});

describe('bucketFor', () => {
  it('keeps buckets within the API limits and readable', () => {
    expect(bucketFor(3_600_000)).toBe('MINUTE');
    expect(bucketFor(86_400_000)).toBe('HOUR');
    expect(bucketFor(7 * 86_400_000)).toBe('HOUR');
    expect(bucketFor(30 * 86_400_000)).toBe('DAY');
  });
});

describe('datetime-local inputs', () => {
  it('round-trips a time through the input format (minutes)', () => {
    const iso = '2026-12-03T09:41:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(fromLocalInput('')).toBeNull();
    expect(toLocalInput(null)).toBe('');
  });
});
