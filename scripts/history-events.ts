/**
 * Seeded, realistic history: N days of stream events (as the history writer receives them, with
 * `received_at` and `stream_id`) from two crews of agents running sessions for several users.
 * Each crew is a {@link Scenario} (agent start → llm calls → tools → memory → knowledge →
 * hypothesis → decision → collaboration → complete, linked by trace_id / session_id /
 * parent_event_id); the clock follows a daily rhythm (busier in the working hours of UTC).
 * Same options, same events: event ids, timestamps, users and metrics all come from the seed.
 */
import type { StreamedEvent } from '@auren/contracts';
import { prng } from '../test/fixtures/prng';
import { AGENTS, type AgentProfile, MODEL_PRICES, Scenario } from './scenario';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The second crew: a research-and-writing team on other models. */
export const RESEARCH_CREW: readonly AgentProfile[] = [
  {
    id: 'research_planner',
    role: 'Research Planner',
    goal: 'Break a question into researchable parts',
    models: ['gpt-4o', 'gemini-1.5-flash'],
    tools: ['web_search', 'task_board'],
    domains: ['planning', 'scoping'],
    tasks: ['Plan the literature review on HRV', 'Scope the recovery-protocol report'],
  },
  {
    id: 'literature_researcher',
    role: 'Literature Researcher',
    goal: 'Find and summarise the evidence',
    models: ['claude-3-5-sonnet', 'gemini-1.5-flash'],
    tools: ['pubmed_search', 'pdf_reader', 'web_search'],
    domains: ['sports_science', 'sleep_research', 'nutrition_science'],
    tasks: ['Summarise trials on cold-water immersion', 'Collect evidence on caffeine timing'],
  },
  {
    id: 'report_writer',
    role: 'Report Writer',
    goal: 'Write clear reports for coaches',
    models: ['gpt-4o', 'gpt-4o-mini'],
    tools: ['doc_formatter', 'citation_checker'],
    domains: ['writing', 'citations'],
    tasks: ['Draft the weekly athlete report', 'Rewrite the summary for coaches'],
  },
  {
    id: 'fact_checker',
    role: 'Fact Checker',
    goal: 'Catch claims the evidence does not support',
    models: ['claude-3-5-haiku', 'gemini-1.5-flash'],
    tools: ['citation_checker', 'pubmed_search'],
    domains: ['evidence_grading', 'citations'],
    tasks: ['Check the claims of the draft report', 'Grade the evidence behind the plan'],
  },
];

export const CREWS: ReadonlyArray<{
  name: string;
  agents: readonly AgentProfile[];
  share: number;
}> = [
  { name: 'performance', agents: AGENTS, share: 0.65 },
  { name: 'research', agents: RESEARCH_CREW, share: 0.35 },
];

export interface HistoryOptions {
  seed: number;
  /** How many days back from `end` (may be a fraction: 1 / 8640 is 10 seconds). */
  days: number;
  /** Events in all (spread over the days). */
  total: number;
  /** End of the history (ms since epoch, exclusive). */
  end: number;
  /** How many users own sessions (user_1 … user_N; user_1 busiest). Default 6. */
  users?: number;
  /** Events per batch yielded. Default 2,000. */
  batchSize?: number;
}

/** Relative activity per UTC hour: quiet at night, busiest in the afternoon. */
export function hourWeight(hour: number): number {
  return 1 + 0.75 * Math.sin((2 * Math.PI * (hour - 8)) / 24);
}

/** The users and how often each owns a session (user_1 busiest; Zipf-like). */
function userPicker(count: number, rng: () => number): () => string {
  const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  return () => {
    let r = rng() * sum;
    for (let i = 0; i < count; i++) {
      r -= weights[i];
      if (r < 0) return `user_${i + 1}`;
    }
    return `user_${count}`;
  };
}

/**
 * The history, in time order, in batches. Every event has a distinct event_id, a timestamp in
 * [end − days, end), `received_at` a few milliseconds later and a Redis-shaped `stream_id`.
 */
export function* historyBatches(options: HistoryOptions): Generator<StreamedEvent[]> {
  const { seed, days, total, end } = options;
  const batchSize = options.batchSize ?? 2000;
  const rng = prng(seed);
  const pickUser = userPicker(options.users ?? 6, prng(seed ^ 0x5eed));
  let clock = Math.round(end - days * DAY_MS);
  const crews = CREWS.map((crew, i) => ({
    ...crew,
    scenario: new Scenario({
      seed: (seed + 0x9e3779b9 * (i + 1)) >>> 0,
      concurrency: 4,
      now: () => clock,
      agents: crew.agents,
    }),
  }));
  const sessionUsers = new Map<string, string>();
  // Events per hour follow hourWeight; the cumulative target keeps the total exact.
  const start = clock;
  const hours = Math.ceil((days * DAY_MS) / HOUR_MS);
  const hourLength = (hour: number) => Math.min(HOUR_MS, end - (start + hour * HOUR_MS));
  const weights = Array.from(
    { length: hours },
    (_, h) => (hourWeight(new Date(start + h * HOUR_MS).getUTCHours()) * hourLength(h)) / HOUR_MS,
  );
  const weightSum = weights.reduce((a, b) => a + b, 0);
  let emitted = 0;
  let cumulative = 0;
  let lastStreamMs = 0;
  let streamSeq = 0;
  let batch: StreamedEvent[] = [];
  for (let hour = 0; hour < hours; hour++) {
    cumulative += weights[hour];
    const target = hour === hours - 1 ? total : Math.round((total * cumulative) / weightSum);
    const count = target - emitted;
    if (count <= 0) continue;
    const hourStart = start + hour * HOUR_MS;
    const step = hourLength(hour) / count;
    for (let i = 0; i < count; i++) {
      clock = Math.floor(hourStart + (i + rng()) * step);
      const r = rng();
      const crew = r < crews[0].share ? crews[0] : crews[1];
      const event = crew.scenario.next() as StreamedEvent;
      const sessionId = event.session_id as string;
      let user = sessionUsers.get(sessionId);
      if (user === undefined) {
        user = pickUser();
        sessionUsers.set(sessionId, user);
      }
      if (event.event_type === 'agent_execution_completed') sessionUsers.delete(sessionId);
      event.user_id = user;
      event.metadata = { ...event.metadata, crew: crew.name };
      const received = clock + 1 + Math.floor(rng() * 20);
      if (received === lastStreamMs) streamSeq += 1;
      else streamSeq = 0;
      lastStreamMs = Math.max(lastStreamMs, received);
      event.received_at = new Date(received).toISOString();
      event.stream_id = `${lastStreamMs}-${streamSeq}`;
      batch.push(event);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
    emitted = target;
  }
  if (batch.length > 0) yield batch;
}

/** The models the generated history prices (for docs and checks). */
export const HISTORY_MODELS = Object.keys(MODEL_PRICES);
