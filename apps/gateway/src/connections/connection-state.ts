import type { Subscription, Viewer } from '@auren/contracts';
import type { Principal } from '@auren/auth';

/** Per-connection state, kept in `socket.data`. */
export interface ConnectionState extends Viewer {
  subscriptions: Set<Subscription>;
  agentFilter: Set<string>;
  /** The filter as the client sent it, for replies. */
  requestedFilter: string[];
  resumeFrom?: string;
  /** Set once the connection is in its rooms and its threshold counts. */
  live: boolean;
  /** Set while the connection is left out of live emits because its queue is full. */
  slow?: { after: string; recovering: boolean };
  /** Client messages in the current rate window. */
  messages: { windowStart: number; count: number };
}

export function newConnectionState(
  principal: Principal,
  options: {
    subscriptions: Subscription[];
    agentFilter: string[];
    threshold: number;
    resumeFrom?: string;
  },
): ConnectionState {
  return {
    userId: principal.userId,
    seesAllUsers: principal.seesAllUsers,
    allowedAgents: principal.allowedAgents === null ? null : new Set(principal.allowedAgents),
    subscriptions: new Set(options.subscriptions),
    agentFilter: new Set(options.agentFilter),
    requestedFilter: options.agentFilter,
    threshold: options.threshold,
    resumeFrom: options.resumeFrom,
    live: false,
    messages: { windowStart: 0, count: 0 },
  };
}
