import type { AlertTransition } from './transition';

/**
 * Silences and acknowledgements, kept out of the evaluator: transitions still happen while an
 * alert is silenced (its state stays truthful); {@link SilenceBook.mark} flags them
 * `silenced: true` so delivery can skip the notification.
 */
export interface Silence {
  id: string;
  /** Matches this rule only; at least one of `ruleId` and `agent` is required. */
  ruleId?: string;
  /** Matches this agent only. */
  agent?: string;
  /** When set, matches only rules of this owner (a user silences only their own alerts). */
  owner?: string;
  /** Start (ms since the epoch); default: now. */
  from?: number;
  /** End (ms since the epoch), exclusive. */
  until: number;
  comment?: string;
}

export interface Acknowledgement {
  key: string;
  by?: string;
  at: number;
}

export class SilenceBook {
  private readonly silences = new Map<string, Silence>();
  private readonly acks = new Map<string, Acknowledgement>();

  /** Adds or replaces (same id) a silence. */
  silence(silence: Silence): void {
    if (silence.ruleId === undefined && silence.agent === undefined) {
      throw new Error('a silence names a ruleId, an agent or both');
    }
    if (!Number.isFinite(silence.until)) throw new Error('a silence needs a finite "until"');
    this.silences.set(silence.id, { ...silence });
  }

  unsilence(id: string): boolean {
    return this.silences.delete(id);
  }

  /** Silences not yet over at `now`. */
  list(now: number): Silence[] {
    return [...this.silences.values()].filter((silence) => silence.until > now);
  }

  /** Drops silences over at `now`; returns how many. */
  prune(now: number): number {
    let dropped = 0;
    for (const [id, silence] of this.silences) {
      if (silence.until <= now) dropped += this.silences.delete(id) ? 1 : 0;
    }
    return dropped;
  }

  isSilenced(transition: AlertTransition, now: number): boolean {
    for (const silence of this.silences.values()) {
      if (now < (silence.from ?? -Infinity) || now >= silence.until) continue;
      if (silence.ruleId !== undefined && silence.ruleId !== transition.ruleId) continue;
      if (silence.agent !== undefined && silence.agent !== transition.agent) continue;
      if (silence.owner !== undefined && silence.owner !== transition.owner) continue;
      return true;
    }
    return false;
  }

  /**
   * Marks a firing alert as seen by someone. Informational: the alert keeps firing and its
   * resolution is still delivered; the mark ends with that resolution.
   */
  acknowledge(key: string, at: number, by?: string): void {
    this.acks.set(key, by === undefined ? { key, at } : { key, at, by });
  }

  acknowledgement(key: string): Acknowledgement | undefined {
    return this.acks.get(key);
  }

  /**
   * Copies of `transitions` with `silenced` set; a resolution also ends its key's
   * acknowledgement.
   */
  mark(transitions: readonly AlertTransition[], now: number): AlertTransition[] {
    return transitions.map((transition) => {
      if (transition.state === 'resolved') this.acks.delete(transition.key);
      return { ...transition, silenced: this.isSilenced(transition, now) };
    });
  }

  toJSON(): { silences: Silence[]; acknowledgements: Acknowledgement[] } {
    return { silences: [...this.silences.values()], acknowledgements: [...this.acks.values()] };
  }

  static fromJSON(json: ReturnType<SilenceBook['toJSON']>): SilenceBook {
    const book = new SilenceBook();
    for (const silence of json.silences) book.silence(silence);
    for (const ack of json.acknowledgements) book.acks.set(ack.key, ack);
    return book;
  }
}
