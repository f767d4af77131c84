import type { HeldSession, SqlDatabase } from '../store/sql-database';

/** The advisory lock the evaluating replica holds (two-int form: AUREN's namespace, alerts). */
export const ALERTS_LOCK: readonly [number, number] = [727_301, 2];

export interface Lead {
  /** The connection holding the lock: the leader's writes go through it (fencing). */
  session: HeldSession;
  /** Resolves when leadership is lost (the connection broke) or given up. */
  lost: Promise<Error>;
}

/**
 * One evaluator among the replicas: a PostgreSQL session-level advisory lock, taken on a
 * connection of its own. The replica holding it evaluates; the others try again every
 * `retryMs`. If the holder dies, PostgreSQL ends its session and frees the lock (TCP keepalive
 * or the kill of the process: immediately when the process dies, since the socket closes). The
 * holder's writes go through the same connection, so a holder that lost it cannot write.
 * The embedded engine has one process: it always leads.
 */
export class AlertLeadership {
  private running = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly db: SqlDatabase,
    private readonly retryMs = 1000,
  ) {}

  /**
   * Runs `lead` each time this replica becomes the leader, until {@link stop}. `lead` runs while
   * leading and must return when `lost` resolves.
   */
  async run(lead: (lead: Lead) => Promise<void>, onError: (error: Error) => void): Promise<void> {
    this.running = true;
    while (this.running) {
      let session: HeldSession | null = null;
      try {
        session = await this.db.hold();
        const { rows } = await session.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock($1, $2) AS locked',
          [...ALERTS_LOCK],
        );
        if (rows[0]?.locked) {
          const held = session;
          let settle: (error: Error) => void = () => undefined;
          const lost = new Promise<Error>((resolve) => (settle = resolve));
          held.onLost((error) => settle(error));
          this.giveUp = () => settle(new Error('stopped'));
          await lead({ session: held, lost });
          this.giveUp = null;
        }
      } catch (error) {
        onError(error as Error);
      } finally {
        await session?.release().catch(() => undefined);
      }
      if (this.running) await this.pause();
    }
  }

  private giveUp: (() => void) | null = null;

  /** Gives up leadership (if held) and stops trying. */
  stop(): void {
    this.running = false;
    this.giveUp?.();
    this.wake?.();
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.retryMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
