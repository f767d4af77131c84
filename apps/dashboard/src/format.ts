/** Number, money, duration and time formatting used by every view (en-US separators). */

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
/** One formatter per precision: building an Intl.NumberFormat costs far more than using one. */
const fixedFormats = new Map<number, Intl.NumberFormat>();
function fixedFormat(digits: number): Intl.NumberFormat {
  let format = fixedFormats.get(digits);
  if (!format) {
    format = new Intl.NumberFormat('en-US', {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
    fixedFormats.set(digits, format);
  }
  return format;
}

/** `12345` → `12,345`; non-finite → `–`. */
export function formatInt(value: number): string {
  return Number.isFinite(value) ? integer.format(Math.round(value)) : '–';
}

/** `12345` → `12.3K`: axis labels and small cards. */
export function formatCompact(value: number): string {
  return Number.isFinite(value) ? compact.format(value) : '–';
}

/**
 * US dollars with a precision that keeps small LLM costs readable: `$0`, `$0.0042`, `$0.123`,
 * `$12.34`, `$1,234`.
 */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd)) return '–';
  if (usd === 0) return '$0';
  const sign = usd < 0 ? '-' : '';
  const abs = Math.abs(usd);
  let digits: number;
  if (abs >= 1000) digits = 0;
  else if (abs >= 1) digits = 2;
  else if (abs >= 0.01) digits = 3;
  else if (abs >= 0.0001) digits = 4;
  else return `${sign}<$0.0001`;
  const text = fixedFormat(digits).format(abs);
  return `${sign}$${text}`;
}

/** Milliseconds as `420 ms`, `1.4 s`, `2.5 min`, `1.2 h`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${trim(ms / 1000)} s`;
  if (ms < 3_600_000) return `${trim(ms / 60_000)} min`;
  return `${trim(ms / 3_600_000)} h`;
}

function trim(value: number): string {
  return value >= 100 ? Math.round(value).toString() : value.toFixed(1).replace(/\.0$/, '');
}

/** `0.953` → `95.3%`; null → `–`. */
export function formatPercent(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–';
  const pct = ratio * 100;
  return `${pct === 100 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** Time since `at` (ms since epoch) as `just now`, `12 s ago`, `3 min ago`, `2 h ago`, `4 d ago`. */
export function formatRelative(at: number, now = Date.now()): string {
  if (!Number.isFinite(at)) return '–';
  const seconds = Math.round((now - at) / 1000);
  if (seconds < -5) return 'in the future';
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** `HH:MM:SS` in local time. */
export function formatClock(at: number): string {
  const date = new Date(at);
  const pad = (n: number) => n.toString().padStart(2, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
