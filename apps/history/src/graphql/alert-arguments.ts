import { formatDuration, MINUTE_MS, DAY_MS, parseDuration, webhookUrlProblem } from '@auren/alerts';
import { QueryInputError } from '../queries';

/** Checks of the alerts API's arguments; each failure is BAD_USER_INPUT naming the argument. */

export const DEFAULT_ALERT_PAGE = 50;
export const SILENCE_MIN_MS = MINUTE_MS;
export const SILENCE_MAX_MS = 30 * DAY_MS;
export const TEXT_MAX = 1000;
export const ID_MAX = 128;
export const SECRET_MIN = 16;
export const SECRET_MAX = 512;

/** PostgreSQL bigint: alert and silence ids are decimal strings of one. */
const BIGINT_MAX = 9223372036854775807n;

export function checkFirst(first: number | null | undefined, maxPageSize: number): number {
  if (first === undefined || first === null) return Math.min(DEFAULT_ALERT_PAGE, maxPageSize);
  if (!Number.isInteger(first) || first < 1 || first > maxPageSize) {
    throw new QueryInputError('first', `must be an integer from 1 to ${maxPageSize}`);
  }
  return first;
}

/** A positive decimal id that fits a bigint (alert ids, silence ids, `after` cursors). */
export function checkNumericId(value: string, argument: string): string {
  if (!/^[1-9][0-9]{0,18}$/.test(value) || BigInt(value) > BIGINT_MAX) {
    throw new QueryInputError(
      argument,
      `must be the decimal id a listing gave (got ${JSON.stringify(value.slice(0, 40))})`,
    );
  }
  return value;
}

/** An optional text of 1..max characters; `undefined`/`null` pass as null. */
export function checkText(
  value: string | null | undefined,
  argument: string,
  max: number,
): string | null {
  if (value === undefined || value === null) return null;
  if (value.length === 0 || value.length > max) {
    throw new QueryInputError(argument, `must be 1 to ${max} characters`);
  }
  return value;
}

/** When a silence ends: exactly one of `duration` (1m..30d) and `until` (ahead, ≤ 30 days). */
export function silenceEnd(
  duration: string | null | undefined,
  until: Date | null | undefined,
  now = Date.now(),
): Date {
  const range = `${formatDuration(SILENCE_MIN_MS)} to ${formatDuration(SILENCE_MAX_MS)}`;
  if ((duration ?? null) !== null && (until ?? null) !== null) {
    throw new QueryInputError('duration', 'give duration or until, not both');
  }
  if (duration !== undefined && duration !== null) {
    const ms = parseDuration(duration);
    if (ms === undefined || typeof duration !== 'string') {
      throw new QueryInputError(
        'duration',
        `must be a duration such as 30m, 2h or 7d (got ${JSON.stringify(duration.slice(0, 40))})`,
      );
    }
    if (ms < SILENCE_MIN_MS || ms > SILENCE_MAX_MS) {
      throw new QueryInputError('duration', `must be from ${range} (got ${duration})`);
    }
    return new Date(now + ms);
  }
  if (until !== undefined && until !== null) {
    const ahead = until.getTime() - now;
    if (!Number.isFinite(ahead) || ahead <= 0 || ahead > SILENCE_MAX_MS) {
      throw new QueryInputError(
        'until',
        `must be in the future and at most ${formatDuration(SILENCE_MAX_MS)} ahead (got ${until.toISOString()})`,
      );
    }
    return until;
  }
  throw new QueryInputError('duration', `give duration (${range}) or until`);
}

export function checkWebhook(url: string, secret: string, allowPrivate: boolean): void {
  const problem = webhookUrlProblem(url, { allowPrivate });
  if (problem) throw new QueryInputError('url', problem);
  // The message never repeats the secret.
  if (secret.length < SECRET_MIN || secret.length > SECRET_MAX) {
    throw new QueryInputError(
      'secret',
      `must be ${SECRET_MIN} to ${SECRET_MAX} characters (got ${secret.length})`,
    );
  }
}
