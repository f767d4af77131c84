/**
 * Formatting helpers of the look-back views: numbers with thousands separators, US dollars with
 * a precision that fits the amount, durations in ms / s / min / h / d, relative times.
 * Fixed to `en-US` so every viewer (and every test) reads the same separators.
 */

const LOCALE = 'en-US';
const intFormat = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const dash = '—';
/** Formatters by options, built once: building an Intl.NumberFormat costs far more than using one. */
const formats = new Map<string, Intl.NumberFormat>();
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = JSON.stringify(options);
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(LOCALE, options);
    formats.set(key, format);
  }
  return format;
}

const finite = (value: number | null | undefined): value is number =>
  typeof value === 'number' && Number.isFinite(value);

/** `12345.6` → `12,346`; null → `—`. */
export function formatInt(value: number | null | undefined): string {
  return finite(value) ? intFormat.format(value) : dash;
}

/** A number with at most `digits` fraction digits (trailing zeros dropped): `1234.5` → `1,234.5`. */
export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (!finite(value)) return dash;
  return numberFormat({ maximumFractionDigits: digits }).format(value);
}

/** Token counts: exact below 100,000, then compact (`1.25M`, `312K`). */
export function formatTokens(value: number | null | undefined): string {
  if (!finite(value)) return dash;
  if (Math.abs(value) < 100_000) return intFormat.format(value);
  return numberFormat({
    notation: 'compact',
    maximumFractionDigits: Math.abs(value) < 1e7 ? 2 : 1,
  }).format(value);
}

/**
 * US dollars: cents from $1 up (`$1,234.57`), 3 decimals from one cent (`$0.125`), two
 * significant digits below (`$0.00042`), `$0.00` for zero.
 */
export function formatCost(usd: number | null | undefined): string {
  if (!finite(usd)) return dash;
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  let text: string;
  if (abs === 0) text = '0.00';
  else if (abs >= 1)
    text = numberFormat({
      minimumFractionDigits: 2,
      maximumFractionDigits: 2,
    }).format(abs);
  else if (abs >= 0.01) text = abs.toFixed(3);
  else {
    const decimals = Math.min(8, Math.max(3, 1 - Math.floor(Math.log10(abs))));
    text = abs.toFixed(decimals).replace(/0+$/, '');
    if (text.endsWith('.')) text += '0';
    if (Number(text) === 0) text = '< 0.00000001';
  }
  return `${sign}$${text}`;
}

/** A rate 0..1 as a percentage: `0.975` → `97.5%`; null → `—`. */
export function formatPercent(rate: number | null | undefined): string {
  if (!finite(rate)) return dash;
  const pct = rate * 100;
  const digits = pct === 100 || pct === 0 ? 0 : 1;
  return `${pct.toFixed(digits)}%`;
}

/**
 * Milliseconds as people read them: `0.4 ms`, `850 ms`, `1.25 s`, `12.3 s`, `2 min 5 s`,
 * `1 h 5 min`, `2 d 3 h`.
 */
export function formatDuration(ms: number | null | undefined): string {
  if (!finite(ms)) return dash;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1) return `${ms === 0 ? '0' : ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${trim(s.toFixed(2))} s`;
  if (s < 60) return `${trim(s.toFixed(1))} s`;
  const totalS = Math.round(s);
  if (totalS < 3600) {
    const m = Math.floor(totalS / 60);
    const rest = totalS % 60;
    return rest ? `${m} min ${rest} s` : `${m} min`;
  }
  const totalMin = Math.round(totalS / 60);
  if (totalMin < 24 * 60) {
    const h = Math.floor(totalMin / 60);
    const rest = totalMin % 60;
    return rest ? `${h} h ${rest} min` : `${h} h`;
  }
  const totalH = Math.round(totalMin / 60);
  const d = Math.floor(totalH / 24);
  const rest = totalH % 24;
  return rest ? `${d} d ${rest} h` : `${d} d`;
}

const trim = (fixed: string): string => fixed.replace(/\.?0+$/, '');

/** `iso` relative to `now`: `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago`, `in 5 min`. */
export function formatRelative(iso: string | number | null | undefined, now = Date.now()): string {
  if (iso === null || iso === undefined) return dash;
  const at = typeof iso === 'number' ? iso : Date.parse(iso);
  if (!Number.isFinite(at)) return dash;
  const diff = now - at;
  const abs = Math.abs(diff);
  if (abs < 5000) return 'just now';
  let text: string;
  if (abs < 60_000) text = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.floor(abs / 3_600_000)} h`;
  else text = `${Math.floor(abs / 86_400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local wall-clock time with seconds: `14:03:07`. */
export function formatClock(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return dash;
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return dash;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local date and time: `2026-12-03 14:03:07`. */
export function formatDateTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined) return dash;
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return dash;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(d.getTime())}`;
}

/** A UTC day (`2026-12-03T00:00:00Z` → `2026-12-03`). */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return dash;
  const d = new Date(iso);
  return Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 10) : dash;
}

/** Event types without the underscores: `agent_execution_started` → `agent execution started`. */
export function humanType(type: string): string {
  return type.replace(/_/g, ' ');
}
