import type { StreamedEvent } from '../contracts';

/** When an event happened, in ms: its `timestamp`, else `received_at`, else now. */
export function eventTime(event: StreamedEvent, now = Date.now()): number {
  const at = Date.parse(event.timestamp);
  if (Number.isFinite(at)) return at;
  const received = Date.parse(event.received_at);
  return Number.isFinite(received) ? received : now;
}

/** Tokens of an event: `tokens_used`, else input + output. */
export function eventTokens(event: StreamedEvent): number {
  const m = event.performance_metrics;
  if (!m) return 0;
  if (typeof m.tokens_used === 'number') return m.tokens_used;
  return (m.input_tokens ?? 0) + (m.output_tokens ?? 0);
}

/** Whether an event failed: `success: false`, or an `error_type`. */
export function eventFailed(event: StreamedEvent): boolean {
  const m = event.performance_metrics;
  return m?.success === false || (typeof m?.error_type === 'string' && m.error_type.length > 0);
}

/** The error message an event carries, from its metrics or its payload. */
export function eventError(event: StreamedEvent): string | null {
  const p = event.payload ?? {};
  for (const key of ['error_message', 'error', 'message', 'reason']) {
    const value = p[key];
    if (typeof value === 'string' && value) return value;
  }
  return event.performance_metrics?.error_type ?? null;
}

/** The tool a `tool_usage` event names. */
export function eventTool(event: StreamedEvent): string | null {
  const p = event.payload ?? {};
  for (const key of ['tool_name', 'tool', 'name']) {
    const value = p[key];
    if (typeof value === 'string' && value) return value.slice(0, 128);
  }
  return null;
}

/** The agents an event links its source to (target agent, collaborators of a collaboration). */
export function eventPartners(event: StreamedEvent): string[] {
  const out = new Set<string>();
  const source = event.source_agent.id;
  if (event.target_agent?.id && event.target_agent.id !== source) out.add(event.target_agent.id);
  if (event.event_type === 'agent_collaboration') {
    const list = event.payload?.collaborating_agents;
    if (Array.isArray(list))
      for (const id of list.slice(0, 64))
        if (typeof id === 'string' && id && id !== source) out.add(id.slice(0, 128));
  }
  return [...out];
}

/** Text the feed search matches: type, agents, ids, model, tool, error. */
export function searchText(event: StreamedEvent): string {
  return [
    event.event_type,
    event.source_agent.id,
    event.source_agent.role ?? '',
    event.target_agent?.id ?? '',
    event.event_id,
    event.trace_id ?? '',
    event.session_id ?? '',
    event.user_id ?? '',
    event.performance_metrics?.model ?? '',
    eventTool(event) ?? '',
    eventError(event) ?? '',
  ]
    .join(' ')
    .toLowerCase();
}
