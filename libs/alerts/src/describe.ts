import { formatDuration } from './duration';
import type { AlertRule, MatchFilter } from './rule';
import type { AlertTransition } from './transition';

/** One human sentence for a transition (webhook `summary`, Slack text, logs). */

function num(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function roughDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes}m` : `${Math.round(minutes / 60)}h`;
}

function filterText(filter: MatchFilter): string {
  const parts: string[] = [];
  if (filter.eventTypes) parts.push(`type ${filter.eventTypes.join('|')}`);
  if (filter.agents) parts.push(`agent ${filter.agents.join('|')}`);
  if (filter.success !== undefined) parts.push(`success=${filter.success}`);
  if (filter.errorType !== undefined) parts.push(`error_type=${filter.errorType}`);
  if (filter.textContains !== undefined) parts.push(`text contains "${filter.textContains}"`);
  return parts.length > 0 ? parts.join(', ') : 'any event';
}

export function describeTransition(transition: AlertTransition, rule: AlertRule): string {
  const who = transition.agent === null ? '' : ` (agent ${transition.agent})`;
  if (transition.reason !== 'condition') {
    return `resolved: the rule was ${transition.reason.slice('rule_'.length)}${who}`;
  }
  const { condition } = rule;
  const firing = transition.state === 'firing';
  const value = transition.value;
  switch (condition.kind) {
    case 'threshold': {
      const shown = value === null ? 'no data' : num(value);
      const limit = firing ? condition.value : condition.resolveValue;
      const relation = firing ? condition.op : `no longer ${condition.op}`;
      return `${condition.metric} over ${formatDuration(condition.window)} is ${shown}, ${relation} ${num(limit)}${who}`;
    }
    case 'absence':
      return firing
        ? `no event for ${roughDuration(value ?? condition.after)} from a running agent${who}`
        : `the agent emitted again after ${roughDuration(value ?? 0)} of silence${who}`;
    case 'match':
      return firing
        ? `an event matched ${filterText(condition.filter)}${who}`
        : `no match for ${formatDuration(rule.resolveAfter)} (${value ?? 0} matching events)${who}`;
  }
}
