/**
 * One readable line per agent event, shared by the developer tools (`npm run tail`,
 * `npm run test-connection`): time, position, type, agent, the fields that matter for the type,
 * event id. Also the agent/type filters of `npm run tail` and secret-free printing of URLs.
 */

/** An event as read from the stream or the gateway; every field may be missing or odd. */
export type LooseEvent = Record<string, unknown>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const record = (value: unknown): Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
const yesNo = (value: unknown): string | undefined =>
  typeof value === 'boolean' ? (value ? 'yes' : 'no') : undefined;

/** `09:39:22.000Z` (UTC time of day) of an ISO timestamp; the input when it does not parse. */
export function timeOfDay(iso: unknown): string {
  const raw = text(iso);
  if (!raw) return '--:--:--.---Z';
  const at = new Date(raw);
  return Number.isNaN(at.getTime()) ? raw : `${at.toISOString().slice(11, 23)}Z`;
}

/** The agent id of an event (`source_agent.id`). */
export function agentOf(event: LooseEvent): string | undefined {
  return text(record(event.source_agent).id);
}

/** `key=value` pairs that say what the event was about, by type and metrics. */
export function keyFields(event: LooseEvent): string[] {
  const out: string[] = [];
  const payload = record(event.payload);
  const metrics = record(event.performance_metrics);
  const add = (key: string, value: string | undefined) => {
    if (value !== undefined) out.push(`${key}=${value}`);
  };
  switch (event.event_type) {
    case 'agent_collaboration': {
      const partners = Array.isArray(payload.collaborating_agents)
        ? payload.collaborating_agents.filter((id) => typeof id === 'string').join(',')
        : undefined;
      add('with', partners || undefined);
      add('consensus', yesNo(payload.consensus_reached));
      break;
    }
    case 'memory_tier_access':
      add('tier', text(payload.tier));
      add('op', text(payload.operation));
      add('hit', yesNo(payload.hit));
      break;
    case 'tool_usage':
      add('tool', text(payload.tool_name) ?? text(payload.tool));
      break;
    case 'agent_decision':
      add('decision', text(payload.decision));
      break;
    default:
      break;
  }
  add('model', text(metrics.model));
  const latency = num(metrics.latency_ms);
  if (latency !== undefined) out.push(`latency=${Math.round(latency)}ms`);
  const tokens =
    num(metrics.tokens_used) ??
    (num(metrics.input_tokens) !== undefined || num(metrics.output_tokens) !== undefined
      ? (num(metrics.input_tokens) ?? 0) + (num(metrics.output_tokens) ?? 0)
      : undefined);
  if (tokens !== undefined) out.push(`tokens=${tokens}`);
  const cost = num(metrics.token_cost);
  if (cost !== undefined) out.push(`cost=$${cost.toFixed(4)}`);
  const confidence = num(metrics.confidence_score);
  if (confidence !== undefined) out.push(`conf=${confidence.toFixed(2)}`);
  if (metrics.success === false) out.push('FAILED');
  add('error', text(metrics.error_type));
  add('user', text(event.user_id));
  return out;
}

/**
 * `09:39:22.000Z 1732441762000-0 llm_call neuroscientist model=gpt-4o latency=820ms ... id=<event_id>`.
 * `position` overrides the event's own `stream_id` (a tail knows it from the record).
 */
export function eventLine(event: LooseEvent, position?: string): string {
  const target = text(record(event.target_agent).id);
  const agent = `${agentOf(event) ?? '?'}${target ? `->${target}` : ''}`;
  return [
    timeOfDay(event.timestamp ?? event.received_at),
    position ?? text(event.stream_id) ?? '-',
    text(event.event_type) ?? '?',
    agent,
    ...keyFields(event),
    `id=${text(event.event_id) ?? '?'}`,
  ].join(' ');
}

/** `--agent`/`--type` style values: repeated flags and comma-separated lists, trimmed, deduplicated. */
export function listValues(values: readonly string[] | undefined): string[] {
  const out = (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim());
  return [...new Set(out.filter(Boolean))];
}

/** Which events a tail prints: empty lists let everything through; a type may end in `*`. */
export interface EventFilter {
  agents: string[];
  types: string[];
}

export function matchesFilter(event: LooseEvent, filter: EventFilter): boolean {
  if (filter.agents.length > 0 && !filter.agents.includes(agentOf(event) ?? '')) return false;
  if (filter.types.length === 0) return true;
  const type = text(event.event_type) ?? '';
  return filter.types.some((wanted) =>
    wanted.endsWith('*') ? type.startsWith(wanted.slice(0, -1)) : type === wanted,
  );
}

/** A URL with its password (and a user-only credential) replaced by `***`, for messages. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    else if (url.username) url.username = '***';
    return url.toString().replace(/\/$/, raw.endsWith('/') ? '/' : '');
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//***@');
  }
}
