import { Inject, Injectable } from '@nestjs/common';
import type { ConnectErrorCode } from '@auren/contracts';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';

/** What a slot listens to: the engine.io connection under a socket, and the socket itself. */
interface SlotHolder {
  conn: {
    readyState: string;
    once(event: 'close', listener: () => void): unknown;
    off(event: 'close', listener: () => void): unknown;
  };
  once(event: 'disconnect', listener: () => void): unknown;
}

/**
 * One reserved connection (per pod and per user). Released exactly once, whichever comes first:
 * `release()`, the engine.io connection closing, or the socket disconnecting. Tying it to the
 * engine.io `close` event is what covers a transport that closes between the handshake middleware
 * and `connection`: Socket.IO then drops the socket without `connection` or `disconnect`.
 */
export class Slot {
  private held = true;

  constructor(
    readonly userId: string,
    private readonly onRelease: (slot: Slot) => void,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Releases the slot when `holder`'s transport closes or it disconnects. */
  tieTo(holder: SlotHolder): void {
    const release = (): void => {
      holder.conn.off('close', release);
      this.release();
    };
    holder.conn.once('close', release);
    holder.once('disconnect', release);
    // Closed already: its `close` event is gone by.
    if (holder.conn.readyState !== 'open') this.release();
  }

  /** Idempotent: only the first call gives the slot back. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.onRelease(this);
  }
}

/** A user's slots on this pod and their shared client-message window (CONTRACT §4 limits). */
class UserEntry {
  slots = 0;
  /** Start (ms) and count of the current one-minute client-message window, for all connections. */
  windowStart = 0;
  windowCount = 0;
}

/**
 * The connection limits of CONTRACT §4: slots per pod and per user, and the per-user client
 * message budget. A user's entry lives while the user holds a slot.
 */
@Injectable()
export class ConnectionRegistry {
  private total = 0;
  private admitting = true;
  private readonly users = new Map<string, UserEntry>();

  constructor(@Inject(AUREN_CONFIG) private readonly config: AurenConfig) {}

  /** Refuses every new connection from now on (the pod is draining). */
  closeAdmissions(): void {
    this.admitting = false;
  }

  get isAdmitting(): boolean {
    return this.admitting;
  }

  /** Reserved slots on this pod (every connected socket holds one). */
  get slots(): number {
    return this.total;
  }

  slotsOf(userId: string): number {
    return this.users.get(userId)?.slots ?? 0;
  }

  get atCapacity(): boolean {
    return this.total >= this.config.maxConnections;
  }

  /** Why this pod should get no new clients (draining, at capacity), or undefined. */
  get notAdmittingReason(): string | undefined {
    if (!this.admitting) return 'draining: refusing new connections';
    if (this.atCapacity)
      return `at capacity: ${this.total} of ${this.config.maxConnections} connections`;
    return undefined;
  }

  /** Takes a slot for `userId`, or says which limit refuses it. */
  reserve(userId: string): Slot | ConnectErrorCode {
    if (!this.admitting || this.atCapacity) return 'SERVER_AT_CAPACITY';
    let entry = this.users.get(userId);
    if (entry && entry.slots >= this.config.maxConnectionsPerUser) return 'USER_CONNECTION_LIMIT';
    if (!entry) {
      entry = new UserEntry();
      this.users.set(userId, entry);
    }
    entry.slots += 1;
    this.total += 1;
    return new Slot(userId, (slot) => this.give(slot));
  }

  /**
   * Counts one client message of `userId` in its one-minute window (fixed windows, shared by all
   * the user's connections on this pod); false when over AUREN_CLIENT_MESSAGES_PER_MINUTE.
   */
  takeMessage(userId: string, now = Date.now()): boolean {
    const entry = this.users.get(userId);
    // No slot, no connection: nothing can be sending (kept safe rather than thrown).
    if (!entry) return false;
    if (now - entry.windowStart >= 60_000) {
      entry.windowStart = now;
      entry.windowCount = 0;
    }
    entry.windowCount += 1;
    return entry.windowCount <= this.config.clientMessagesPerMinute;
  }

  private give(slot: Slot): void {
    const entry = this.users.get(slot.userId);
    if (!entry || entry.slots <= 0) return;
    entry.slots -= 1;
    this.total -= 1;
    if (entry.slots === 0) this.users.delete(slot.userId);
  }
}
