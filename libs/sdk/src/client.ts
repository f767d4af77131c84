import { randomUUID } from 'node:crypto';
import { Dispatcher } from './dispatcher';
import {
  agentRef,
  buildEvent,
  checkEvent,
  completeEvent,
  describeError,
  EventParts,
  RunContext,
  TrackOptions,
} from './events';
import { HttpTransport } from './http-transport';
import { AurenClientOptions, resolveOptions, ResolvedOptions } from './options';
import type { Transport } from './transport';
import type { AgentInput, AurenError, AurenEventInput, ClientStats, TrackResult } from './types';
import { SDK_VERSION } from './version';
import {
  AgentCompleteOptions,
  AgentStartOptions,
  CollaborationOptions,
  DecisionOptions,
  HypothesisOptions,
  KnowledgeAccessOptions,
  LlmCallOptions,
  MemoryAccessOptions,
  ToolUsageOptions,
  partsFor,
} from './track-options';

interface Run {
  sessionId: string;
  traceId: string;
  startEventId: string;
  startedAt: number;
}

/** Runs remembered at most (agents started and never completed are forgotten oldest first). */
const MAX_RUNS = 10_000;

/**
 * The AUREN client. Every track* call builds one event, puts it in a bounded buffer and returns
 * at once; batches go to the ingest in the background, with retries. Problems never throw from
 * track*: they reach `onError` and the counters of `stats()`.
 */
export class AurenClient {
  readonly options: ResolvedOptions;
  private readonly dispatcher: Dispatcher;
  private readonly runs = new Map<string, Run>();
  private readonly latestRun = new Map<string, string>();
  private readonly warned = new Set<string>();
  private rejectedLocally = 0;
  private closing?: Promise<ClientStats>;
  private readonly onBeforeExit = () => {
    if (this.dispatcher.buffered > 0)
      void this.close({ timeoutMs: this.options.exitFlushTimeoutMs });
  };

  constructor(options: AurenClientOptions = {}) {
    this.options = resolveOptions(options);
    const transport = this.createTransport();
    this.dispatcher = new Dispatcher(transport, {
      batchSize: this.options.batchSize,
      flushIntervalMs: this.options.flushIntervalMs,
      maxBufferSize: this.options.maxBufferSize,
      maxRetries: this.options.maxRetries,
      backoff: { baseMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs },
      overflow: this.options.overflow,
      onError: (error) => this.reportError(error),
      onRetry: this.options.onRetry,
    });
    if (this.options.exitFlushTimeoutMs > 0) process.on('beforeExit', this.onBeforeExit);
  }

  /** An agent starts a task. Opens a run: later calls for this agent carry its session and trace ids. */
  trackAgentStart(agent: AgentInput, options: AgentStartOptions = {}): Required<TrackResult> {
    const sessionId = options.sessionId ?? randomUUID();
    const traceId = options.traceId ?? randomUUID();
    const eventId = options.eventId ?? randomUUID();
    const parts = partsFor.agentStart(agent, options);
    this.enqueue(parts, { ...options, sessionId, traceId, eventId }, {});
    const id = safeId(agent);
    if (id !== undefined) {
      this.runs.set(sessionId, {
        sessionId,
        traceId,
        startEventId: eventId,
        startedAt: performance.now(),
      });
      this.latestRun.set(id, sessionId);
      this.forgetOldRuns();
    }
    return { sessionId, traceId, eventId };
  }

  /** The task ended. `latency_ms` is measured from trackAgentStart unless `latencyMs` is given. */
  trackAgentComplete(agent: AgentInput, options: AgentCompleteOptions = {}): TrackResult {
    const id = safeId(agent);
    const sessionId = options.sessionId ?? (id === undefined ? undefined : this.latestRun.get(id));
    const run = sessionId === undefined ? undefined : this.runs.get(sessionId);
    const latencyMs =
      options.latencyMs ??
      (run ? Math.round((performance.now() - run.startedAt) * 10) / 10 : undefined);
    const result = this.enqueue(
      partsFor.agentComplete(agent, { ...options, latencyMs }),
      options,
      this.context(agent, options),
    );
    if (run) {
      this.runs.delete(run.sessionId);
      if (id !== undefined && this.latestRun.get(id) === run.sessionId) this.latestRun.delete(id);
    }
    return result;
  }

  trackLlmCall(agent: AgentInput, options: LlmCallOptions): TrackResult {
    return this.track(partsFor.llmCall(agent, options), options);
  }

  trackToolUsage(agent: AgentInput, options: ToolUsageOptions): TrackResult {
    return this.track(partsFor.toolUsage(agent, options), options);
  }

  /** `agent` is the primary agent; `target_agent` is the first collaborator unless set. */
  trackCollaboration(agent: AgentInput, options: CollaborationOptions): TrackResult {
    const first = options.collaboratingAgents?.[0];
    const withTarget =
      options.targetAgent === undefined && first !== undefined
        ? { ...options, targetAgent: first }
        : options;
    return this.track(partsFor.collaboration(agent, options), withTarget);
  }

  trackDecision(agent: AgentInput, options: DecisionOptions): TrackResult {
    return this.track(partsFor.decision(agent, options), options);
  }

  trackMemoryAccess(agent: AgentInput, options: MemoryAccessOptions): TrackResult {
    return this.track(partsFor.memoryAccess(agent, options), options);
  }

  trackHypothesis(agent: AgentInput, options: HypothesisOptions): TrackResult {
    return this.track(partsFor.hypothesis(agent, options), options);
  }

  trackKnowledgeAccess(agent: AgentInput, options: KnowledgeAccessOptions): TrackResult {
    return this.track(partsFor.knowledgeAccess(agent, options), options);
  }

  /** Any event as the contract describes it (snake_case); `event_id` and `timestamp` are filled in. */
  send(event: AurenEventInput): TrackResult {
    let eventId = '';
    try {
      const complete = completeEvent(event, randomUUID);
      eventId = complete.event_id;
      if (this.options.userId !== undefined && complete.user_id === undefined)
        complete.user_id = this.options.userId;
      this.accept(complete);
      return { eventId, sessionId: complete.session_id, traceId: complete.trace_id };
    } catch (error) {
      this.refuse(eventId, describeError(error).message);
      return { eventId };
    }
  }

  /** Counters since creation; `buffered` is what is waiting or in flight now. */
  stats(): ClientStats {
    const stats = this.dispatcher.stats();
    return { ...stats, rejected: stats.rejected + this.rejectedLocally };
  }

  /** Sends everything buffered now; resolves once each of those events was sent, rejected or dropped. */
  async flush(): Promise<ClientStats> {
    await this.dispatcher.flush();
    return this.stats();
  }

  /**
   * Stops taking events, sends what is buffered (for at most `timeoutMs`, default 10 s), then drops
   * what is left (counted, reported) and releases the transport. Safe to call more than once.
   */
  close(options: { timeoutMs?: number } = {}): Promise<ClientStats> {
    this.closing ??= this.shutdown(options.timeoutMs ?? 10_000);
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------

  private async shutdown(timeoutMs: number): Promise<ClientStats> {
    process.off('beforeExit', this.onBeforeExit);
    this.dispatcher.stopAccepting();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.dispatcher.flush(), timedOut]);
    clearTimeout(timer);
    await this.dispatcher.abortAll();
    return this.stats();
  }

  private track(parts: EventParts, options: TrackOptions): TrackResult {
    return this.enqueue(parts, options, this.context(parts.agent, options));
  }

  /** The run the agent is in, for ids the caller did not pass. */
  private context(agent: AgentInput, options: TrackOptions): RunContext {
    const id = safeId(agent);
    const sessionId = options.sessionId ?? (id === undefined ? undefined : this.latestRun.get(id));
    const run = sessionId === undefined ? undefined : this.runs.get(sessionId);
    if (!run) return {};
    return { sessionId: run.sessionId, traceId: run.traceId, parentEventId: run.startEventId };
  }

  private enqueue(parts: EventParts, options: TrackOptions, run: RunContext): TrackResult {
    const eventId = options.eventId ?? randomUUID();
    try {
      const event = buildEvent(parts, { ...options, eventId }, run, randomUUID, {
        userId: this.options.userId,
        metadata: this.options.defaultMetadata,
      });
      this.accept(event);
      return { eventId, sessionId: event.session_id, traceId: event.trace_id };
    } catch (error) {
      this.refuse(eventId, describeError(error).message);
      return { eventId };
    }
  }

  private accept(event: Parameters<Dispatcher['enqueue']>[0]): void {
    const problem = checkEvent(event);
    if (problem !== undefined) {
      this.refuse(event.event_id, problem);
      return;
    }
    this.dispatcher.enqueue(event);
  }

  private refuse(eventId: string, message: string): void {
    this.rejectedLocally += 1;
    this.reportError({
      kind: 'rejected',
      reason: 'invalid_event',
      message,
      eventIds: eventId ? [eventId] : [],
    });
  }

  private reportError(error: AurenError): void {
    if (this.options.onError) {
      try {
        this.options.onError(error);
      } catch {
        // the callback's own problem
      }
      return;
    }
    const key = `${error.kind}:${error.reason}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    process.emitWarning(
      `${error.message} (${error.eventIds.length} event(s); further "${key}" problems are not printed — pass onError to AurenClient to see them all)`,
      { code: 'AUREN_SDK', type: 'AurenWarning' },
    );
  }

  private forgetOldRuns(): void {
    while (this.runs.size > MAX_RUNS) {
      const oldest = this.runs.keys().next().value as string;
      this.runs.delete(oldest);
    }
  }

  private createTransport(): Transport {
    const userAgent = `auren-sdk-typescript/${SDK_VERSION} node/${process.versions.node}`;
    if (typeof this.options.transport === 'object') return this.options.transport;
    if (this.options.transport === 'grpc') {
      // Loaded only now, so that HTTP users never need (or load) the gRPC packages.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { GrpcTransport } = require('./grpc-transport') as typeof import('./grpc-transport');
      return new GrpcTransport({
        url: this.options.url,
        apiKey: this.options.apiKey,
        requestTimeoutMs: this.options.requestTimeoutMs,
        userAgent,
        protoPath: this.options.protoPath,
      });
    }
    return new HttpTransport({
      url: this.options.url,
      apiKey: this.options.apiKey,
      requestTimeoutMs: this.options.requestTimeoutMs,
      userAgent,
    });
  }
}

function safeId(agent: AgentInput): string | undefined {
  try {
    const id = agentRef(agent).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
