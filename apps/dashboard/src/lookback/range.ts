/**
 * The History view's time range: presets, custom from/to (`<input type="datetime-local">`),
 * validation before any query runs, and the `agentStats` bucket that fits the range.
 * `from`/`to` are ISO strings or null; `to: null` means now, `from: null` the 24 hours before `to`
 * (the API's defaults).
 */

export const PRESETS = [
  { id: '1h', label: 'Last hour', ms: 3_600_000 },
  { id: '24h', label: 'Last 24 hours', ms: 86_400_000 },
  { id: '7d', label: 'Last 7 days', ms: 7 * 86_400_000 },
  { id: '30d', label: 'Last 30 days', ms: 30 * 86_400_000 },
] as const;
export type PresetId = (typeof PRESETS)[number]['id'];

export const MAX_RANGE_MS = 366 * 86_400_000;
const DEFAULT_SPAN_MS = 86_400_000;

/** The range of a preset: from `now - span`, to now (null). */
export function presetRange(id: PresetId, now = Date.now()): { from: string; to: null } {
  const preset = PRESETS.find((p) => p.id === id)!;
  return { from: new Date(now - preset.ms).toISOString(), to: null };
}

/** The preset a range matches (open-ended, span within 2 % of the preset), or null. */
export function activePreset(
  from: string | null,
  to: string | null,
  now = Date.now(),
): PresetId | null {
  if (to !== null) return null;
  if (from === null) return '24h';
  const start = Date.parse(from);
  if (!Number.isFinite(start)) return null;
  const span = now - start;
  const hit = PRESETS.find((p) => Math.abs(span - p.ms) <= p.ms * 0.02);
  return hit ? hit.id : null;
}

export type RangeCheck =
  | { ok: true; from: string; to: string; spanMs: number }
  | { ok: false; field: 'from' | 'to'; message: string };

/**
 * Checks a range before querying: parseable times, `from` before `to`, at most 366 days (the
 * API's limit), `from` not in the future. Answers the range resolved to absolute ISO times.
 */
export function validateRange(
  from: string | null,
  to: string | null,
  now = Date.now(),
): RangeCheck {
  const end = to === null ? now : Date.parse(to);
  if (!Number.isFinite(end))
    return { ok: false, field: 'to', message: 'The "To" time is not a valid date and time.' };
  const start = from === null ? end - DEFAULT_SPAN_MS : Date.parse(from);
  if (!Number.isFinite(start))
    return { ok: false, field: 'from', message: 'The "From" time is not a valid date and time.' };
  if (start >= end)
    return {
      ok: false,
      field: 'from',
      message: '"From" must be before "To": the range is reversed or empty.',
    };
  if (start > now)
    return { ok: false, field: 'from', message: '"From" is in the future: no events yet.' };
  if (end - start > MAX_RANGE_MS)
    return { ok: false, field: 'from', message: 'The range is longer than 366 days: narrow it.' };
  return {
    ok: true,
    from: new Date(start).toISOString(),
    to: new Date(end).toISOString(),
    spanMs: end - start,
  };
}

export type Bucket = 'MINUTE' | 'HOUR' | 'DAY';

/** Buckets for `agentStats`: minutes up to 3 hours, hours up to 8 days, days beyond (API: MINUTE ≤ 2 d, HOUR ≤ 92 d). */
export function bucketFor(spanMs: number): Bucket {
  if (spanMs <= 3 * 3_600_000) return 'MINUTE';
  if (spanMs <= 8 * 86_400_000) return 'HOUR';
  return 'DAY';
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An ISO time as the value of a `datetime-local` input (local time, minutes). */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value (local time) as ISO; '' → null; unparseable → the text as typed (validation reports it). */
export function fromLocalInput(value: string): string | null {
  if (value.trim() === '') return null;
  const d = new Date(value);
  return Number.isFinite(d.getTime()) ? d.toISOString() : value;
}
