import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import {
  AlertEvaluator,
  type AlertRule,
  type AlertTransition,
  type EvaluatorSnapshot,
  loadRulesFile,
  type OwnerAccess,
  RuleValidationError,
  SilenceBook,
  validateRule,
  webhookBody,
} from '@auren/alerts';
import type { StreamedEvent } from '@auren/contracts';
import { AUREN_CONFIG, type AurenConfig } from '@auren/config';
import type { SqlDatabase } from '../store/sql-database';
import { SQL_DATABASE } from '../store/store.module';
import { AlertDispatcher } from './alert-dispatcher.service';
import { AlertLeadership, type Lead } from './alert-leadership';
import { AlertMetrics } from './alert-metrics';
import {
  AlertStore,
  type DecidedTransition,
  type RuleAccess,
  type StoredRule,
  storedRuleForm,
  type WebhookSend,
} from './alert-store';
import { LeaderStreamTransport } from './leader-stream.transport';

/** Transitions waiting to be stored beyond which the stream reader waits for the store. */
const MAX_PENDING = 1000;
/** The evaluator's `tickLagMs` (its default): a tick moves its clock to now minus this. */
const TICK_LAG_MS = 2000;

interface LeaderState {
  lead: Lead;
  store: AlertStore;
  evaluator: AlertEvaluator;
  rules: Map<string, { rule: AlertRule; stored: StoredRule }>;
  rulesVersion: number;
  silences: SilenceBook;
  pending: AlertTransition[];
  /** Position of the last event evaluated (the checkpoint's). */
  position: string;
  dirty: boolean;
  lastSave: number;
  /** Wall time the last event was evaluated, and its stream time. */
  lastEventWall: number;
  lastStreamMs: number;
  flushing: Promise<void> | null;
  timers: NodeJS.Timeout[];
}

/**
 * The rules' evaluation, on the replica that leads (docs/alerts.md, "Evaluation"): events arrive
 * in stream order from {@link LeaderStreamTransport} (AlertsController), go through the
 * {@link AlertEvaluator}; its transitions and its state after them are stored together, in one
 * transaction on the leader's own connection, then handed to the {@link AlertDispatcher}. A
 * successor starts from the stored state and re-reads the stream after its position: the
 * transitions it decides again are already stored and are skipped (AlertStore.record).
 */
@Injectable()
export class AlertEngine implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Alerts');
  private readonly leadership: AlertLeadership;
  private readonly store: AlertStore;
  private state: LeaderState | null = null;
  private running: Promise<void> | null = null;

  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    @Inject(AUREN_CONFIG) private readonly config: AurenConfig,
    private readonly transport: LeaderStreamTransport,
    private readonly dispatcher: AlertDispatcher,
    private readonly metrics: AlertMetrics,
  ) {
    this.leadership = new AlertLeadership(db);
    this.store = new AlertStore(db);
  }

  onApplicationBootstrap(): void {
    if (!this.config.alerts.enabled) return;
    this.running = this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    this.leadership.stop();
    await this.running;
  }

  /** True while this replica evaluates. */
  get leading(): boolean {
    return this.state !== null;
  }

  /**
   * One stream event (AlertsController). Returns a promise only when the store is behind (the
   * reader then waits: back-pressure), else nothing.
   */
  observe(event: StreamedEvent): Promise<void> | void {
    const state = this.state;
    if (!state) return;
    const transitions = state.evaluator.observe(event);
    this.metrics.evaluations.inc();
    state.position = event.stream_id;
    state.dirty = true;
    const entered = Number.parseInt(event.stream_id, 10);
    state.lastEventWall = Date.now();
    if (Number.isFinite(entered) && entered > 1e12) {
      state.lastStreamMs = entered;
      this.metrics.lagSeconds.set(Math.max(0, state.lastEventWall - entered) / 1000);
    } else {
      state.lastStreamMs = state.lastEventWall;
    }
    if (transitions.length > 0) {
      state.pending.push(...transitions);
      this.flushSoon(state);
    }
    if (state.pending.length > MAX_PENDING && state.flushing) return state.flushing;
  }

  private async start(): Promise<void> {
    await this.loadRulesFile();
    await this.leadership.run(
      (lead) => this.lead(lead),
      (error) => this.logger.warn(`alert evaluation: ${error.message}; trying again`),
    );
  }

  /** AUREN_ALERT_RULES_FILE: its rules are stored (source `file`), replacing earlier ones. */
  private async loadRulesFile(): Promise<void> {
    const file = this.config.alerts.rulesFile;
    if (!file) return;
    let rules: AlertRule[];
    try {
      rules = await loadRulesFile(file, { allowPrivate: this.config.alerts.webhookAllowPrivate });
    } catch (error) {
      const lines =
        error instanceof RuleValidationError
          ? error.problems.map((p) => p.message).join('; ')
          : (error as Error).message;
      this.logger.error(`AUREN_ALERT_RULES_FILE not loaded: ${lines}. Fix the file and restart.`);
      return;
    }
    for (const rule of rules) {
      // Rules of a file are the operator's: they see every user's events.
      await this.store.saveRule(rule.id, rule.owner, storedRuleForm(rule), 'file', null, {
        seesAllUsers: true,
        allowedAgents: null,
      });
    }
    this.logger.log(`Loaded ${rules.length} alert rule(s) from ${file}`);
  }

  private async lead(lead: Lead): Promise<void> {
    const store = new AlertStore(lead.session);
    const stored = await store.rules(null);
    const rules = this.validRules(stored);
    const checkpoint = await store.checkpoint();
    const options = {
      // Asked when rules are set: the rules of that moment (state.rules once leading).
      access: (owner: string) => this.accessOf(this.state?.rules ?? rules, owner),
      clock:
        this.config.stream.backend === 'kafka' ? ('received_at' as const) : ('stream_id' as const),
    };
    let evaluator: AlertEvaluator;
    try {
      evaluator = checkpoint
        ? AlertEvaluator.restore(
            [...rules.values()].map((r) => r.rule),
            checkpoint.snapshot as EvaluatorSnapshot,
            options,
          )
        : new AlertEvaluator(
            [...rules.values()].map((r) => r.rule),
            options,
          );
    } catch (error) {
      this.logger.warn(
        `alert state not restored (${(error as Error).message}): evaluating from the live end`,
      );
      evaluator = new AlertEvaluator(
        [...rules.values()].map((r) => r.rule),
        options,
      );
    }
    const state: LeaderState = {
      lead,
      store,
      evaluator,
      rules,
      rulesVersion: await store.rulesVersion(),
      silences: new SilenceBook(),
      pending: [],
      position: checkpoint?.position ?? '$',
      dirty: false,
      lastSave: Date.now(),
      lastEventWall: 0,
      lastStreamMs: 0,
      flushing: null,
      timers: [],
    };
    await this.loadSilences(state);
    this.state = state;
    this.metrics.leader.set(1);
    this.metrics.rulesLoaded.set(rules.size);
    this.logger.log(
      `Evaluating ${rules.size} alert rule(s) from ${checkpoint ? `stream position ${checkpoint.position}` : 'the live end'}`,
    );
    try {
      // Transitions a restore decided (rules changed while no one led) go first.
      state.pending.push(...restoreTransitions(evaluator));
      this.dispatcher.start(lead.session);
      const tick = this.config.alerts.tickMs;
      state.timers.push(setInterval(() => this.tick(state), tick));
      state.timers.push(setInterval(() => void this.refresh(state), 1000));
      // Raced with the end of leadership: an app whose microservices never start (a test of the
      // API alone) never opens the reader, and still stops.
      const opened = this.transport.open(state.position, (position) => {
        // Where reading starts: the first checkpoint (right away) names it, so a successor of a
        // leader that dies before its next checkpoint re-reads from here, not from its own start.
        if (state.position === '$') {
          state.position = position;
          state.dirty = true;
          state.lastSave = 0;
          this.flushSoon(state);
        }
        return Promise.resolve();
      });
      opened.catch(() => undefined);
      const reason = await Promise.race([opened.then(() => lead.lost), lead.lost]);
      if (reason.message !== 'stopped')
        this.logger.warn(`alert evaluation stopped: ${reason.message}`);
    } finally {
      for (const timer of state.timers) clearInterval(timer);
      await this.transport.pause();
      await state.flushing?.catch(() => undefined);
      // A last save while the connection still answers (a clean stop).
      await this.flush(state).catch(() => undefined);
      await this.dispatcher.stop();
      this.state = null;
      this.metrics.leader.set(0);
      this.metrics.rulesLoaded.set(0);
    }
  }

  private validRules(stored: StoredRule[]): Map<string, { rule: AlertRule; stored: StoredRule }> {
    const rules = new Map<string, { rule: AlertRule; stored: StoredRule }>();
    for (const row of stored) {
      try {
        // Stored rules were validated when saved; addresses are checked again when sent.
        const rule = validateRule({ ...row.rule, owner: row.owner }, { allowPrivate: true });
        rules.set(rule.id, { rule, stored: row });
      } catch (error) {
        this.logger.warn(`alert rule ${row.id} skipped: ${(error as Error).message}`);
      }
    }
    return rules;
  }

  private accessOf(
    rules: Map<string, { rule: AlertRule; stored: StoredRule }>,
    owner: string,
  ): OwnerAccess {
    // The owner's widest access over their rules (each saved with the saving credential's).
    let seesAllUsers = false;
    let agents: Set<string> | null = null;
    let restricted = true;
    for (const { stored } of rules.values()) {
      if (stored.owner !== owner) continue;
      const access: RuleAccess = stored.access;
      seesAllUsers ||= access.seesAllUsers;
      if (access.allowedAgents === null) restricted = false;
      else for (const agent of access.allowedAgents) (agents ??= new Set()).add(agent);
    }
    return { seesAllUsers, allowedAgents: restricted ? agents : null };
  }

  private tick(state: LeaderState): void {
    if (this.state !== state) return;
    // While re-reading the stream after a takeover (events keep coming, and they are old), the
    // clock must stay the stream's: a tick would move it to now and count old events late.
    const now = Date.now();
    const replaying =
      now - state.lastEventWall < this.config.alerts.tickMs * 2 &&
      state.lastStreamMs < now - TICK_LAG_MS - 1000;
    const transitions = replaying ? [] : state.evaluator.tick(now);
    if (transitions.length > 0) state.pending.push(...transitions);
    if (
      transitions.length > 0 ||
      (state.dirty && Date.now() - state.lastSave >= this.config.alerts.checkpointMs)
    ) {
      this.flushSoon(state);
    }
  }

  /** New, changed or removed rules and silences (polled: cheap, and the same on both engines). */
  private async refresh(state: LeaderState): Promise<void> {
    if (this.state !== state) return;
    try {
      await this.loadSilences(state);
      const version = await this.store.rulesVersion();
      if (version === state.rulesVersion) return;
      state.rulesVersion = version;
      const rules = this.validRules(await this.store.rules(null));
      state.rules = rules;
      const transitions = state.evaluator.setRules([...rules.values()].map((r) => r.rule));
      this.metrics.rulesLoaded.set(rules.size);
      if (transitions.length > 0) {
        state.pending.push(...transitions);
        this.flushSoon(state);
      }
    } catch (error) {
      this.logger.warn(`alert rules not refreshed: ${(error as Error).message}`);
    }
  }

  private async loadSilences(state: LeaderState): Promise<void> {
    const book = new SilenceBook();
    for (const silence of await this.store.silences(null, true)) {
      book.silence({
        id: silence.id,
        ...(silence.ruleId ? { ruleId: silence.ruleId } : {}),
        ...(silence.agentId ? { agent: silence.agentId } : {}),
        owner: silence.owner,
        until: silence.endsAt.getTime(),
      });
    }
    state.silences = book;
  }

  private flushSoon(state: LeaderState): void {
    if (state.flushing) return;
    state.flushing = this.flushLoop(state).finally(() => (state.flushing = null));
  }

  /**
   * Stores what is pending until nothing is; a failure is retried (the leader's connection).
   * Transitions go first, each batch in a short transaction of its own (an alert waits for no
   * checkpoint); the evaluator's state is saved when no transition is pending — so every
   * transition decided before a checkpoint's position is stored before it — at most every
   * AUREN_ALERT_CHECKPOINT_MS while events flow.
   */
  private async flushLoop(state: LeaderState): Promise<void> {
    for (let failures = 0; this.state === state;) {
      const checkpointDue =
        state.dirty && Date.now() - state.lastSave >= this.config.alerts.checkpointMs;
      if (state.pending.length === 0 && !checkpointDue) return;
      try {
        if (state.pending.length > 0) await this.storeTransitions(state);
        else await this.saveCheckpoint(state);
        failures = 0;
      } catch (error) {
        failures += 1;
        this.metrics.storeFailures.inc();
        if (failures === 1)
          this.logger.warn(`alert transitions not stored yet: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** failures, 2000)));
      }
    }
  }

  private async storeTransitions(state: LeaderState): Promise<void> {
    const batch = state.pending.splice(0, state.pending.length);
    try {
      const decided = await Promise.all(batch.map((t) => this.decide(state, t)));
      const stored = await state.lead.session.transaction((tx) => AlertStore.record(tx, decided));
      for (const transition of stored) {
        const body = transition.body;
        this.metrics.transitions.inc({
          severity: String(body.severity),
          state: String(body.state),
        });
      }
      if (stored.length > 0) this.dispatcher.kick();
    } catch (error) {
      state.pending.unshift(...batch);
      throw error;
    }
  }

  /** Saves the evaluator's state; called only with no transition pending. */
  private async saveCheckpoint(state: LeaderState): Promise<void> {
    const snapshot = state.evaluator.snapshot();
    const position = state.position;
    state.dirty = false;
    state.lastSave = Date.now();
    try {
      await AlertStore.saveCheckpoint(state.lead.session, { position, snapshot });
    } catch (error) {
      state.dirty = true;
      throw error;
    }
  }

  /** Stores every pending transition, then the state (a clean stop). */
  private async flush(state: LeaderState): Promise<void> {
    if (state.pending.length > 0) await this.storeTransitions(state);
    if (state.dirty) await this.saveCheckpoint(state);
  }

  /** A transition as stored and published (CONTRACT §7 alert bodies), and its webhook. */
  private async decide(
    state: LeaderState,
    transition: AlertTransition,
  ): Promise<{ decided: DecidedTransition; webhook: WebhookSend | null }> {
    const entry = state.rules.get(transition.ruleId);
    const silenced = state.silences.isSilenced(transition, Date.now());
    const body = {
      rule_id: transition.ruleId,
      rule_name: entry?.rule.name ?? transition.ruleId,
      severity: transition.severity,
      owner: transition.owner,
      key: transition.key,
      agent_id: transition.agent,
      state: transition.state,
      value: transition.value,
      threshold: transition.threshold,
      window: transition.window && {
        from: new Date(transition.window.from).toISOString(),
        to: new Date(transition.window.to).toISOString(),
      },
      event_ids: transition.eventIds,
      at: new Date(transition.at).toISOString(),
      seq: transition.seq,
      silenced,
      reason: transition.reason,
    };
    const decided: DecidedTransition = {
      rule_id: transition.ruleId,
      key: transition.key,
      seq: transition.seq,
      owner: transition.owner,
      agent_id: transition.agent,
      state: transition.state,
      severity: transition.severity,
      at: body.at,
      body,
    };
    if (silenced || !entry) return { decided, webhook: null };
    const target = entry.rule.webhook;
    // The owner's webhook is asked for only when the rule's own does not say everything.
    const user = target?.secret ? null : await this.store.userWebhook(transition.owner);
    const url = target?.url ?? user?.url;
    const secret = target ? (target.secret ?? user?.secret) : user?.secret;
    if (!url) return { decided, webhook: null };
    if (!secret) {
      this.logger.warn(
        `alert rule ${entry.rule.id}: its webhook has no secret (set webhook.secret, or setAlertWebhook with a secret); not sent`,
      );
      return { decided, webhook: null };
    }
    const format = target?.format ?? user?.format ?? 'json';
    return {
      decided,
      webhook: { url, format, secret, payload: webhookBody(transition, entry.rule, format) },
    };
  }
}

/**
 * Transitions a restore decided at once (rules removed or changed while no replica led), which
 * the evaluator hands out on its next call; none otherwise.
 */
function restoreTransitions(evaluator: AlertEvaluator): readonly AlertTransition[] {
  return evaluator.tick(evaluator.clock);
}
