/** What a benchmark scenario is and what it reports. */

export interface ScenarioContext {
  quick: boolean;
  redisUrl: string;
  /** The redis-server's pid when the bench started it (its CPU goes into P3's samples). */
  redisPid?: number;
  /** HS256 secret the AUREN gateway verifies client tokens with. */
  jwtSecret: string;
  /** Take a CPU profile of the AUREN server during the measurement. */
  profile: boolean;
  /** Where profiles and other artefacts of this run go. */
  artefactDir: string;
  /** A progress line (stderr). */
  log(line: string): void;
  /** The ids given to --only, when it was given. */
  only?: string[];
}

export interface ScenarioResult {
  id: string;
  title: string;
  /** The figure, e.g. "84,000 deliveries/s". */
  auren: { value: number; text: string };
  baseline: { value: number; text: string; label: string };
  /** AUREN ÷ baseline. */
  ratio: number;
  goal: string;
  /** Whether the goal is met; null when it could not be judged. */
  met: boolean | null;
  /** What the scenario ran with. */
  settings: Record<string, unknown>;
  /** Every measured figure, for the JSON. */
  details: Record<string, unknown>;
  /** Lines printed under the table: what the figure means, its limits, checks that failed. */
  notes: string[];
  /** How long the scenario took (set by the runner). */
  seconds?: number;
}

export interface Scenario {
  id: string;
  title: string;
  /** What is measured, and against which baseline (for --help and the docs). */
  description: string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : 'n/a';

export const pct = (value: number) => `${fmt(value * 100, 1)} %`;
