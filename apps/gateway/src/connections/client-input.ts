import {
  DEFAULT_SUBSCRIPTIONS,
  DELIVERY_MODES,
  type DeliveryMode,
  EVENT_LIMITS,
  isEventType,
  isSubscription,
  RECENT_EVENTS_DEFAULT,
  RECENT_EVENTS_MAX,
  SUBSCRIPTIONS,
  type EventType,
  type Subscription,
} from '@auren/contracts';
import { isKafkaToken, isPosition } from '@auren/streaming';

/** Parsing of what clients send: the handshake's `auth` and message bodies. Pure functions. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const MAX_FILTER_AGENTS = 1000;

export function parseAgentFilter(value: unknown, field = 'agent_filter'): Parsed<string[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value;
  if (!Array.isArray(list)) return { ok: false, message: `${field} must be an array of agent ids` };
  if (list.length > MAX_FILTER_AGENTS)
    return { ok: false, message: `${field} holds at most ${MAX_FILTER_AGENTS} agent ids` };
  for (const id of list) {
    if (typeof id !== 'string' || id.length === 0 || id.length > EVENT_LIMITS.idMaxLength) {
      return {
        ok: false,
        message: `${field} entries must be strings of 1..${EVENT_LIMITS.idMaxLength} characters`,
      };
    }
  }
  return { ok: true, value: [...new Set(list as string[])] };
}

export function parseThreshold(value: unknown, field = 'performance_threshold'): Parsed<number> {
  if (value === undefined || value === null) return { ok: true, value: 0 };
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    return { ok: false, message: `${field} must be a number from 0 to 1` };
  }
  return { ok: true, value };
}

export function parseSubscription(value: unknown): Parsed<Subscription> {
  if (!isSubscription(value)) {
    return {
      ok: false,
      message: `unknown subscription ${JSON.stringify(value)}; available: ${SUBSCRIPTIONS.join(', ')}`,
    };
  }
  return { ok: true, value };
}

export interface HandshakeOptions {
  agentFilter: string[];
  threshold: number;
  subscriptions: Subscription[];
  resumeFrom?: string;
  delivery: DeliveryMode;
}

/** The non-credential part of the handshake (CONTRACT §4); failures become `BAD_HANDSHAKE`. */
export function parseHandshake(auth: Record<string, unknown>): Parsed<HandshakeOptions> {
  const filter = parseAgentFilter(auth.agent_filter);
  if (!filter.ok) return filter;
  const threshold = parseThreshold(auth.performance_threshold);
  if (!threshold.ok) return threshold;
  let subscriptions: Subscription[] = [...DEFAULT_SUBSCRIPTIONS];
  if (auth.subscriptions !== undefined && auth.subscriptions !== null) {
    if (!Array.isArray(auth.subscriptions))
      return { ok: false, message: 'subscriptions must be an array' };
    subscriptions = [];
    for (const item of auth.subscriptions) {
      const parsed = parseSubscription(item);
      if (!parsed.ok) return parsed;
      if (!subscriptions.includes(parsed.value)) subscriptions.push(parsed.value);
    }
  }
  let resumeFrom: string | undefined;
  if (auth.resume_from !== undefined && auth.resume_from !== null && auth.resume_from !== '') {
    if (!isPosition(auth.resume_from) && !isKafkaToken(auth.resume_from))
      return {
        ok: false,
        message:
          'resume_from must be a stream_id such as 1732441800000-0, or with Kafka a resume_token such as k:16,8,0',
      };
    resumeFrom = auth.resume_from;
  }
  const delivery = auth.delivery ?? 'event';
  if (!DELIVERY_MODES.includes(delivery as DeliveryMode))
    return {
      ok: false,
      message: `delivery must be one of ${DELIVERY_MODES.join(', ')} (got ${JSON.stringify(delivery)})`,
    };
  return {
    ok: true,
    value: {
      agentFilter: filter.value,
      threshold: threshold.value,
      subscriptions,
      resumeFrom,
      delivery: delivery as DeliveryMode,
    },
  };
}

export interface RecentRequest {
  limit: number;
  eventTypes?: Set<EventType>;
}

export function parseRecentRequest(body: unknown): Parsed<RecentRequest> {
  const input = (body ?? {}) as { limit?: unknown; event_types?: unknown };
  if (typeof input !== 'object')
    return { ok: false, message: 'get_recent takes {limit?, event_types?}' };
  const limit = input.limit ?? RECENT_EVENTS_DEFAULT;
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > RECENT_EVENTS_MAX
  ) {
    return { ok: false, message: `limit must be an integer from 1 to ${RECENT_EVENTS_MAX}` };
  }
  if (input.event_types === undefined || input.event_types === null)
    return { ok: true, value: { limit } };
  if (!Array.isArray(input.event_types) || !input.event_types.every(isEventType)) {
    return { ok: false, message: 'event_types must be an array of event types' };
  }
  return { ok: true, value: { limit, eventTypes: new Set(input.event_types) } };
}
