import { agentRef, compact, describeError, EventParts, TrackOptions } from './events';
import type { AgentInput } from './types';

export interface AgentStartOptions extends TrackOptions {
  task?: string;
}

export interface AgentCompleteOptions extends TrackOptions {
  /** Default: true unless `error` is given. */
  success?: boolean;
  /** What went wrong: its name becomes `performance_metrics.error_type`, its message `payload.error`. */
  error?: unknown;
  result?: unknown;
  /** Overrides the latency measured since trackAgentStart. */
  latencyMs?: number;
  task?: string;
}

export interface LlmCallOptions extends TrackOptions {
  model: string;
  provider?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** USD. */
  cost?: number;
  latencyMs?: number;
  /** Default: true unless `error` is given. */
  success?: boolean;
  error?: unknown;
}

export interface ToolUsageOptions extends TrackOptions {
  tool: string;
  input?: unknown;
  output?: unknown;
  latencyMs?: number;
  success?: boolean;
  error?: unknown;
}

export interface CollaborationOptions extends TrackOptions {
  collaboratingAgents: AgentInput[];
  consensusReached: boolean;
  topic?: string;
  latencyMs?: number;
  /** Default: `consensusReached`. */
  success?: boolean;
}

export interface DecisionOptions extends TrackOptions {
  decision: string;
  options?: unknown[];
  reasoning?: string;
  latencyMs?: number;
}

export interface MemoryAccessOptions extends TrackOptions {
  tier: 'redis' | 'postgresql' | 'chromadb' | (string & {});
  operation: string;
  hit: boolean;
  key?: string;
  latencyMs?: number;
}

export interface HypothesisOptions extends TrackOptions {
  statement: string;
  domain?: string;
  evidence?: unknown[];
  status?: string;
}

export interface KnowledgeAccessOptions extends TrackOptions {
  source: string;
  query?: string;
  domain?: string;
  resultsCount?: number;
  latencyMs?: number;
  success?: boolean;
}

/** `success` defaults to "no error given"; an error adds error_type. */
function outcome(success: boolean | undefined, error: unknown) {
  const failed = error !== undefined && error !== null;
  return {
    success: success ?? !failed,
    error_type: failed ? describeError(error).type : undefined,
    message: failed ? describeError(error).message : undefined,
  };
}

/** The event type, payload and metrics of each track* call (snake_case, CONTRACT §1). */
export const partsFor = {
  agentStart: (agent: AgentInput, o: AgentStartOptions): EventParts => ({
    eventType: 'agent_execution_started',
    agent,
    payload: { task: o.task },
  }),
  agentComplete: (agent: AgentInput, o: AgentCompleteOptions): EventParts => {
    const r = outcome(o.success, o.error);
    return {
      eventType: 'agent_execution_completed',
      agent,
      payload: { task: o.task, result: o.result, error: r.message },
      metrics: { latency_ms: o.latencyMs, success: r.success, error_type: r.error_type },
    };
  },
  llmCall: (agent: AgentInput, o: LlmCallOptions): EventParts => {
    const r = outcome(o.success, o.error);
    const tokens =
      o.inputTokens === undefined && o.outputTokens === undefined
        ? undefined
        : (o.inputTokens ?? 0) + (o.outputTokens ?? 0);
    return {
      eventType: 'llm_call',
      agent,
      payload: { model: o.model, provider: o.provider, error: r.message },
      metrics: compact({
        model: o.model,
        input_tokens: o.inputTokens,
        output_tokens: o.outputTokens,
        tokens_used: tokens,
        token_cost: o.cost,
        latency_ms: o.latencyMs,
        success: r.success,
        error_type: r.error_type,
      }),
    };
  },
  toolUsage: (agent: AgentInput, o: ToolUsageOptions): EventParts => {
    const r = outcome(o.success, o.error);
    return {
      eventType: 'tool_usage',
      agent,
      payload: {
        tool_name: o.tool,
        tool_input: o.input,
        tool_output: o.output,
        success: r.success,
        error: r.message,
      },
      metrics: { latency_ms: o.latencyMs, success: r.success, error_type: r.error_type },
    };
  },
  collaboration: (agent: AgentInput, o: CollaborationOptions): EventParts => ({
    eventType: 'agent_collaboration',
    agent,
    payload: {
      primary_agent: agentRef(agent).id,
      collaborating_agents: (o.collaboratingAgents ?? []).map((a) => agentRef(a).id),
      consensus_reached: o.consensusReached,
      topic: o.topic,
    },
    metrics: { latency_ms: o.latencyMs, success: o.success ?? o.consensusReached },
  }),
  decision: (agent: AgentInput, o: DecisionOptions): EventParts => ({
    eventType: 'agent_decision',
    agent,
    payload: { decision: o.decision, options: o.options, reasoning: o.reasoning },
    metrics: { latency_ms: o.latencyMs },
  }),
  memoryAccess: (agent: AgentInput, o: MemoryAccessOptions): EventParts => ({
    eventType: 'memory_tier_access',
    agent,
    payload: { tier: o.tier, operation: o.operation, hit: o.hit, key: o.key },
    metrics: { latency_ms: o.latencyMs },
  }),
  hypothesis: (agent: AgentInput, o: HypothesisOptions): EventParts => ({
    eventType: 'hypothesis_formation',
    agent,
    payload: { statement: o.statement, domain: o.domain, evidence: o.evidence, status: o.status },
  }),
  knowledgeAccess: (agent: AgentInput, o: KnowledgeAccessOptions): EventParts => ({
    eventType: 'knowledge_access',
    agent,
    payload: {
      source: o.source,
      query: o.query,
      knowledge_domain: o.domain,
      results_count: o.resultsCount,
    },
    metrics: { latency_ms: o.latencyMs, success: o.success },
  }),
};
