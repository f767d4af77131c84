import { Inject, Injectable } from '@nestjs/common';
import type { ConnectErrorCode } from '@auren/contracts';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';

/** Counts connections per pod and per user, for the limits of CONTRACT §4. */
@Injectable()
export class ConnectionRegistry {
  private total = 0;
  private admitting = true;
  private readonly perUser = new Map<string, number>();

  constructor(@Inject(AUREN_CONFIG) private readonly config: AurenConfig) {}

  /** Refuses every new connection from now on (the pod is draining). */
  closeAdmissions(): void {
    this.admitting = false;
  }

  get isAdmitting(): boolean {
    return this.admitting;
  }

  /** Takes a slot for `userId`, or says which limit refuses it. */
  reserve(userId: string): ConnectErrorCode | null {
    if (!this.admitting) return 'SERVER_AT_CAPACITY';
    if (this.total >= this.config.maxConnections) return 'SERVER_AT_CAPACITY';
    const mine = this.perUser.get(userId) ?? 0;
    if (mine >= this.config.maxConnectionsPerUser) return 'USER_CONNECTION_LIMIT';
    this.total += 1;
    this.perUser.set(userId, mine + 1);
    return null;
  }

  release(userId: string): void {
    const mine = this.perUser.get(userId) ?? 0;
    if (mine <= 0) return;
    this.total -= 1;
    if (mine === 1) this.perUser.delete(userId);
    else this.perUser.set(userId, mine - 1);
  }
}
