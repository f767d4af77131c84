import type { Severity } from './rule';

export type AlertState = 'firing' | 'resolved';

/**
 * Why a transition happened: the condition, or a rule change (`setRules`, or a restore with rules
 * that differ from the snapshot's) that ended a firing alert.
 */
export type TransitionReason = 'condition' | 'rule_removed' | 'rule_changed' | 'rule_disabled';

/** A decision of the evaluator: one alert key started or stopped firing. */
export interface AlertTransition {
  ruleId: string;
  /** `<rule id>:<agent id>` for per-agent rules, `<rule id>` for `groupBy: none`. */
  key: string;
  /** The agent of a per-agent key, `null` for `groupBy: none`. */
  agent: string | null;
  owner: string;
  severity: Severity;
  state: AlertState;
  reason: TransitionReason;
  /**
   * threshold: the metric's value; absence: ms of silence; match: matching events so far.
   * `null` when there is none (no data left in the window, rule change).
   */
  value: number | null;
  /** threshold: `value` on firing, `resolveValue` on resolving; absence: `after` in ms. */
  threshold: number | null;
  /** The stream-time span (ms) the decision looked at. */
  window: { from: number; to: number } | null;
  /** The events that caused it (at most {@link MAX_EVENT_IDS}, oldest first). */
  eventIds: string[];
  /** Stream time (ms) of the decision. */
  at: number;
  /**
   * Increases with every transition of the evaluator (so strictly within each key):
   * max(previous + 1, at × 1000). Downstream drops a transition whose seq is not above the last
   * one it kept for the key: that is a replay.
   */
  seq: number;
  /** Set by {@link SilenceBook.mark}, never by the evaluator. */
  silenced?: boolean;
}

export const MAX_EVENT_IDS = 20;

/** An alert that is firing now, as `AlertEvaluator.active()` lists it. */
export interface ActiveAlert {
  ruleId: string;
  key: string;
  agent: string | null;
  owner: string;
  severity: Severity;
  /** Stream time (ms) it fired. */
  since: number;
  /** seq of its firing transition. */
  seq: number;
}
