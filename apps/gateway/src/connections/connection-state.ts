import type { DeliveryMode, Subscription, Viewer } from '@auren/contracts';
import type { Principal } from '@auren/auth';

const EMPTY: ReadonlySet<string> = new Set<string>();
const ALL_EVENTS: ReadonlySet<Subscription> = new Set<Subscription>(['all_events']);

/** Shares the common (empty, default) sets between connections: most never change them. */
function setOf<T extends string>(items: readonly T[], shared: ReadonlySet<T>): ReadonlySet<T> {
  if (items.length === shared.size && items.every((item) => shared.has(item))) return shared;
  return new Set(items);
}

/**
 * Per-connection state, kept in `socket.data`. A class with every field set in the constructor,
 * so that all connections share one compact object shape (memory per idle connection). The
 * sets are replaced, never mutated: the defaults are shared by every connection that keeps them.
 */
export class ConnectionState implements Viewer {
  readonly userId: string;
  readonly seesAllUsers: boolean;
  readonly allowedAgents: ReadonlySet<string> | null;
  subscriptions: ReadonlySet<Subscription>;
  agentFilter: ReadonlySet<string>;
  /** The filter as the client sent it, for replies. */
  requestedFilter: string[];
  threshold: number;
  resumeFrom: string | undefined;
  /** `batch`: live events arrive as `stream_events` through the connection's batch group. */
  readonly delivery: DeliveryMode;
  /** `batch`: events in the packets queued and not yet written to its transport. */
  queuedEvents = 0;
  /** Set once the connection is in its rooms and its threshold counts. */
  live = false;
  /** Set while the connection is left out of live emits because its queue is full. */
  slow: { after: string; recovering: boolean } | undefined = undefined;

  constructor(
    principal: Principal,
    options: {
      subscriptions: Subscription[];
      agentFilter: string[];
      threshold: number;
      resumeFrom?: string;
      delivery?: DeliveryMode;
    },
  ) {
    this.userId = principal.userId;
    this.seesAllUsers = principal.seesAllUsers;
    this.allowedAgents = principal.allowedAgents === null ? null : new Set(principal.allowedAgents);
    this.subscriptions = setOf(options.subscriptions, ALL_EVENTS);
    this.agentFilter = setOf(options.agentFilter, EMPTY);
    this.requestedFilter = options.agentFilter;
    this.threshold = options.threshold;
    this.resumeFrom = options.resumeFrom;
    this.delivery = options.delivery ?? 'event';
  }

  withSubscription(subscription: Subscription, on: boolean): void {
    const next = new Set(this.subscriptions);
    if (on) next.add(subscription);
    else next.delete(subscription);
    this.subscriptions = next;
  }

  setFilter(agentFilter: string[], threshold: number): void {
    this.requestedFilter = agentFilter;
    this.agentFilter = setOf(agentFilter, EMPTY);
    this.threshold = threshold;
  }
}
