/**
 * The pure logic of the test-event generator: a deterministic, continuous multi-agent scenario.
 *
 * Each "cycle" is one agent session that emits, in order:
 *   agent_execution_started → llm_call ×1..3 → tool_usage ×1..2 → memory_tier_access ×1..3
 *   (redis → postgresql → chromadb fall-through) → knowledge_access → hypothesis_formation →
 *   agent_decision → agent_collaboration → agent_execution_completed
 * so all nine agent event types occur in every session. Several sessions run at once and their
 * events interleave. Everything except `timestamp` comes from the seeded PRNG, event ids included.
 */
import type { AgentEvent, AgentRef, EventType, PerformanceMetrics } from '@auren/contracts';

/** An event as the generator posts it: the server adds `received_at` and `stream_id`. */
export type ScenarioEvent = Omit<AgentEvent, 'received_at' | 'stream_id'>;

/** mulberry32: a small, fast 32-bit PRNG; the same seed always gives the same sequence. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  float(min: number, max: number, decimals = 3): number {
    const factor = 10 ** decimals;
    return Math.round((min + this.next() * (max - min)) * factor) / factor;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)];
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 16).toString(16);
    return out;
  }

  /** A version-4-shaped UUID built from the PRNG (deterministic, not cryptographic). */
  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    const parts = [h.slice(0, 8), h.slice(8, 12), `4${h.slice(13, 16)}`, variant + h.slice(17, 20)];
    return [...parts, h.slice(20, 32)].join('-');
  }
}

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'claude-3-5-sonnet': { input: 3, output: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4 },
  'gemini-1.5-flash': { input: 0.075, output: 0.3 },
};

/** Rounds to 8 decimals so sums of USD amounts stay free of float noise. */
export function roundUsd(value: number): number {
  return Math.round(value * 1e8) / 1e8;
}

/** The cost in USD of one LLM call, from the per-model price table. */
export function tokenCost(model: string, inputTokens: number, outputTokens: number): number {
  const price = MODEL_PRICES[model];
  if (!price) throw new Error(`no price for model "${model}"`);
  return roundUsd((inputTokens * price.input + outputTokens * price.output) / 1_000_000);
}

export interface AgentProfile {
  id: string;
  role: string;
  goal: string;
  models: readonly [primary: string, fast: string];
  tools: readonly string[];
  domains: readonly string[];
  tasks: readonly string[];
}

export const AGENTS: readonly AgentProfile[] = [
  {
    id: 'neuroscientist',
    role: 'Neuroscientist',
    goal: 'Track CNS fatigue and cognitive readiness',
    models: ['claude-3-5-sonnet', 'claude-3-5-haiku'],
    tools: ['hrv_analyzer', 'reaction_time_test', 'eeg_summary'],
    domains: ['cns_fatigue', 'hrv', 'neuroplasticity'],
    tasks: ['Assess CNS readiness from overnight HRV', 'Explain the drop in reaction time'],
  },
  {
    id: 'training_coach',
    role: 'Training Coach',
    goal: 'Plan training load that matches readiness',
    models: ['gpt-4o', 'gpt-4o-mini'],
    tools: ['load_calculator', 'workout_planner', 'strava_import'],
    domains: ['periodization', 'training_load', 'strength'],
    tasks: ['Adjust this week’s training block', 'Plan a deload after the race'],
  },
  {
    id: 'nutritionist',
    role: 'Nutritionist',
    goal: 'Fuel training and recovery',
    models: ['gpt-4o', 'gpt-4o-mini'],
    tools: ['macro_calculator', 'meal_log_parser', 'glucose_reader'],
    domains: ['macronutrients', 'hydration', 'glycogen'],
    tasks: ['Build a race-week carb plan', 'Review the protein intake log'],
  },
  {
    id: 'recovery_specialist',
    role: 'Recovery Specialist',
    goal: 'Shorten recovery without losing adaptation',
    models: ['claude-3-5-sonnet', 'gpt-4o-mini'],
    tools: ['soreness_survey', 'mobility_planner', 'hrv_analyzer'],
    domains: ['inflammation', 'mobility', 'recovery_modalities'],
    tasks: ['Choose recovery modalities after a long run', 'Score muscle soreness trend'],
  },
  {
    id: 'sleep_analyst',
    role: 'Sleep Analyst',
    goal: 'Improve sleep quality and consistency',
    models: ['claude-3-5-haiku', 'gpt-4o-mini'],
    tools: ['sleep_stage_parser', 'circadian_model', 'wearable_sync'],
    domains: ['sleep_architecture', 'circadian_rhythm', 'sleep_debt'],
    tasks: ['Analyse last week’s deep sleep', 'Find the cause of late sleep onset'],
  },
];

const DECISIONS = ['proceed_as_planned', 'reduce_intensity', 'add_rest_day', 'escalate_to_team'];
const COLLABORATION_KINDS = ['consultation', 'peer_review', 'handoff'];
const TOOL_ERRORS = ['timeout', 'upstream_unavailable'];

export interface ScenarioOptions {
  seed: number;
  /** Sessions running at the same time; their events interleave. Default 3. */
  concurrency?: number;
  /** Clock for `timestamp` (ms since epoch). Default `Date.now`. */
  now?: () => number;
  /** The crew: who runs sessions and who they collaborate with. Default {@link AGENTS}. */
  agents?: readonly AgentProfile[];
}

/** What a step needs to build its event; `emit` returns the step's event. */
interface StepContext {
  session: Session;
  rng: Prng;
}

type Step = (ctx: StepContext) => ScenarioEvent;

interface Session {
  agent: AgentProfile;
  traceId: string;
  sessionId: string;
  task: string;
  rootEventId?: string;
  lastLlmEventId?: string;
  steps: Step[];
  totals: {
    latencyMs: number;
    tokens: number;
    costUsd: number;
    llmCalls: number;
    failures: number;
  };
  decisionConfidence: number;
}

function agentRef(agent: AgentProfile): AgentRef {
  return { id: agent.id, role: agent.role, goal: agent.goal };
}

/** A continuous, deterministic stream of multi-agent events. */
export class Scenario {
  private readonly rng: Prng;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly agents: readonly AgentProfile[];
  private readonly active: Session[] = [];
  private sequence = 0;
  private sessionsStarted = 0;

  constructor(options: ScenarioOptions) {
    this.rng = new Prng(options.seed);
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 3));
    this.now = options.now ?? Date.now;
    this.agents = options.agents ?? AGENTS;
    if (this.agents.length < 3) throw new Error('a crew needs at least three agents');
  }

  /** The next event of the scenario; the stream never ends. */
  next(): ScenarioEvent {
    while (this.active.length < this.concurrency) this.active.push(this.startSession());
    const index = Math.floor(this.rng.next() * this.active.length);
    const session = this.active[index];
    const step = session.steps.shift() as Step;
    const event = step({ session, rng: this.rng });
    if (session.steps.length === 0) this.active.splice(index, 1);
    return event;
  }

  take(count: number): ScenarioEvent[] {
    return Array.from({ length: count }, () => this.next());
  }

  private startSession(): Session {
    const busy = new Set(this.active.map((s) => s.agent.id));
    const idle = this.agents.filter((a) => !busy.has(a.id));
    const agent = this.rng.pick(idle.length > 0 ? idle : this.agents);
    this.sessionsStarted += 1;
    const rng = this.rng;
    const steps: Step[] = [(c) => this.started(c)];
    for (let i = rng.int(1, 3); i > 0; i--) steps.push((c) => this.llmCall(c));
    for (let i = rng.int(1, 2); i > 0; i--) steps.push((c) => this.toolUsage(c));
    steps.push(...this.memorySteps());
    steps.push(
      (c) => this.knowledgeAccess(c),
      (c) => this.hypothesis(c),
      (c) => this.decision(c),
      (c) => this.collaboration(c),
      (c) => this.completed(c),
    );
    return {
      agent,
      traceId: rng.hex(32),
      sessionId: rng.uuid(),
      task: rng.pick(agent.tasks),
      steps,
      totals: { latencyMs: 0, tokens: 0, costUsd: 0, llmCalls: 0, failures: 0 },
      decisionConfidence: 0,
    };
  }

  /** Memory look-up falls through the tiers: redis, then postgresql, then a chromadb search. */
  private memorySteps(): Step[] {
    const steps: Step[] = [];
    const tiers: Array<[tier: string, op: string, hitRate: number, ms: [number, number]]> = [
      ['redis', 'get', 0.55, [0.3, 3]],
      ['postgresql', 'select', 0.6, [4, 35]],
      ['chromadb', 'similarity_search', 1, [20, 120]],
    ];
    for (const [tier, operation, hitRate, [min, max]] of tiers) {
      const hit = this.rng.chance(hitRate);
      const latency = this.rng.float(min, max, 2);
      steps.push((c) => this.memoryAccess(c, tier, operation, hit, latency));
      if (hit) break;
    }
    return steps;
  }

  private base(
    ctx: StepContext,
    type: EventType,
    payload: Record<string, unknown>,
    metrics?: PerformanceMetrics,
    parent?: string,
  ): ScenarioEvent {
    const { session, rng } = ctx;
    this.sequence += 1;
    const event: ScenarioEvent = {
      event_id: rng.uuid(),
      event_type: type,
      timestamp: new Date(this.now()).toISOString(),
      trace_id: session.traceId,
      session_id: session.sessionId,
      source_agent: agentRef(session.agent),
      target_agent: null,
      payload,
      metadata: { generator: 'auren-generate-events', sequence: this.sequence },
    };
    const parentId = parent ?? session.rootEventId;
    if (parentId !== undefined) event.parent_event_id = parentId;
    if (metrics) event.performance_metrics = metrics;
    return event;
  }

  private started(ctx: StepContext): ScenarioEvent {
    const { session } = ctx;
    const event = this.base(ctx, 'agent_execution_started', {
      task: session.task,
      session_number: this.sessionsStarted,
      planned_steps: session.steps.length + 1,
    });
    session.rootEventId = event.event_id;
    return event;
  }

  private llmCall(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const model = rng.chance(0.7) ? session.agent.models[0] : session.agent.models[1];
    const success = rng.chance(0.96);
    const inputTokens = rng.int(300, 4000);
    const outputTokens = success ? rng.int(50, 1200) : 0;
    const latency = success ? rng.float(250, 4500, 1) : rng.float(5000, 30000, 1);
    const cost = tokenCost(model, inputTokens, outputTokens);
    const totals = session.totals;
    totals.latencyMs += latency;
    totals.tokens += inputTokens + outputTokens;
    totals.costUsd = roundUsd(totals.costUsd + cost);
    totals.llmCalls += 1;
    if (!success) totals.failures += 1;
    const metrics: PerformanceMetrics = {
      latency_ms: latency,
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      tokens_used: inputTokens + outputTokens,
      token_cost: cost,
      model,
      success,
      confidence_score: success ? rng.float(0.55, 0.99) : 0,
    };
    if (!success) metrics.error_type = rng.pick(['timeout', 'rate_limit']);
    const payload = {
      model,
      provider: model.startsWith('gpt')
        ? 'openai'
        : model.startsWith('gemini')
          ? 'google'
          : 'anthropic',
      purpose: rng.pick(['plan', 'analyse', 'summarise', 'critique']),
      finish_reason: success ? 'stop' : 'error',
    };
    const event = this.base(ctx, 'llm_call', payload, metrics);
    session.lastLlmEventId = event.event_id;
    return event;
  }

  private toolUsage(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const success = rng.chance(0.94);
    const latency = rng.float(15, 900, 1);
    session.totals.latencyMs += latency;
    if (!success) session.totals.failures += 1;
    const payload: Record<string, unknown> = {
      tool_name: rng.pick(session.agent.tools),
      tool_input: { athlete_id: `athlete_${rng.int(1, 40)}`, window_days: rng.pick([1, 7, 28]) },
      success,
      records_returned: success ? rng.int(1, 500) : 0,
    };
    const metrics: PerformanceMetrics = { latency_ms: latency, success };
    if (!success) metrics.error_type = rng.pick(TOOL_ERRORS);
    return this.base(ctx, 'tool_usage', payload, metrics, session.lastLlmEventId);
  }

  private memoryAccess(
    ctx: StepContext,
    tier: string,
    operation: string,
    hit: boolean,
    latency: number,
  ): ScenarioEvent {
    const { session, rng } = ctx;
    session.totals.latencyMs += latency;
    const payload = {
      tier,
      operation,
      hit,
      key: `${session.agent.id}:${rng.pick(session.agent.domains)}`,
      items_returned: hit ? rng.int(1, 25) : 0,
    };
    return this.base(ctx, 'memory_tier_access', payload, { latency_ms: latency, success: true });
  }

  private knowledgeAccess(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const latency = rng.float(30, 400, 1);
    session.totals.latencyMs += latency;
    const payload = {
      knowledge_domain: rng.pick(session.agent.domains),
      query: session.task,
      results_count: rng.int(0, 12),
      source: rng.pick(['knowledge_graph', 'research_library', 'athlete_history']),
    };
    const metrics = { latency_ms: latency, success: true, confidence_score: rng.float(0.5, 0.98) };
    return this.base(ctx, 'knowledge_access', payload, metrics);
  }

  private hypothesis(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const confidence = rng.float(0.4, 0.97);
    const domain = rng.pick(session.agent.domains);
    const payload = {
      hypothesis_id: `hyp_${rng.hex(8)}`,
      domain,
      statement: `${domain.replace(/_/g, ' ')} explains the change seen in "${session.task}"`,
      evidence_count: rng.int(1, 9),
      status: confidence > 0.8 ? 'supported' : 'forming',
    };
    return this.base(ctx, 'hypothesis_formation', payload, { confidence_score: confidence });
  }

  private decision(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const confidence = rng.float(0.5, 0.99);
    session.decisionConfidence = confidence;
    const payload = {
      decision: rng.pick(DECISIONS),
      options_considered: rng.int(2, 4),
      reasoning: `based on ${session.totals.llmCalls} LLM call(s) and memory look-ups`,
    };
    const metrics = { latency_ms: rng.float(5, 80, 1), confidence_score: confidence };
    return this.base(ctx, 'agent_decision', payload, metrics);
  }

  private collaboration(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const others = this.agents.filter((a) => a.id !== session.agent.id);
    const first = rng.pick(others);
    const partners = [first];
    if (rng.chance(0.4)) partners.push(rng.pick(others.filter((a) => a.id !== first.id)));
    const consensus = rng.chance(0.8);
    const latency = rng.float(200, 2500, 1);
    session.totals.latencyMs += latency;
    const payload = {
      primary_agent: session.agent.id,
      collaborating_agents: partners.map((a) => a.id),
      consensus_reached: consensus,
      collaboration_type: rng.pick(COLLABORATION_KINDS),
      topic: session.task,
    };
    const metrics = {
      latency_ms: latency,
      success: consensus,
      confidence_score: rng.float(0.5, 0.95),
    };
    const event = this.base(ctx, 'agent_collaboration', payload, metrics);
    event.target_agent = { id: first.id, role: first.role };
    return event;
  }

  private completed(ctx: StepContext): ScenarioEvent {
    const { session, rng } = ctx;
    const { totals } = session;
    const latency = Math.round((totals.latencyMs + rng.float(5, 50, 1)) * 10) / 10;
    const success = totals.failures === 0 || rng.chance(0.5);
    const payload = {
      task: session.task,
      result: success ? 'recommendation_delivered' : 'partial_result',
      llm_calls: totals.llmCalls,
      failures: totals.failures,
    };
    const metrics: PerformanceMetrics = {
      latency_ms: latency,
      success,
      tokens_used: totals.tokens,
      token_cost: totals.costUsd,
      confidence_score: session.decisionConfidence,
      memory_usage_mb: rng.float(80, 600, 1),
      cpu_percentage: rng.float(2, 85, 1),
    };
    if (!success) metrics.error_type = 'degraded_result';
    return this.base(ctx, 'agent_execution_completed', payload, metrics);
  }
}
