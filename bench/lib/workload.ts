/**
 * The benchmark workload, shared by the runner, the load generators and the bare baselines:
 * who the clients are (user, agent filter, threshold), which events are published, and which
 * client each event must reach — the delivery rule of CONTRACT §4 for the `all_events`
 * subscription, kept here independently of the gateway's code so that the counts the clients
 * see can be checked against it.
 *
 * Everything is derived from a seed, so that every process computes the same clients and the
 * same expected counts without exchanging them.
 */
import { randomUUID } from 'node:crypto';
import type { AgentEvent } from '@auren/contracts';
import { prng } from '../../test/fixtures/prng';

export const AGENTS = Array.from({ length: 10 }, (_, i) => `bench-agent-${i}`);
/** Users that own events; a client is one of them or `ops`, which has the `all` permission. */
export const USERS = ['user-0', 'user-1', 'user-2', 'user-3', 'user-4'];
export const OPS_USER = 'ops';
export const THRESHOLDS = [0, 0.5, 0.8];

/** Confidence classes of events: no metrics (passes every threshold), then three scores. */
export const SCORE_CLASSES: ReadonlyArray<number | null> = [null, 0.3, 0.6, 0.9];
const OWNERS: ReadonlyArray<string | null> = [null, ...USERS];

export interface ClientSpec {
  index: number;
  userId: string;
  seesAllUsers: boolean;
  agentFilter: string[];
  threshold: number;
}

/** An event cell: the attributes that decide who receives an event. */
export interface Cell {
  index: number;
  agent: string;
  owner: string | null;
  score: number | null;
}

export const CELLS: readonly Cell[] = (() => {
  const out: Cell[] = [];
  for (const agent of AGENTS)
    for (const owner of OWNERS)
      for (const score of SCORE_CLASSES) out.push({ index: out.length, agent, owner, score });
  return out;
})();

/**
 * The mixed client population: 40 % `ops` (all users), 60 % one of five users (own events and
 * events without owner); agent filters: 20 % none, 45 % one agent, 20 % two, 15 % three;
 * thresholds: 70 % none, 15 % 0.5, 15 % 0.8.
 */
export function clientSpecs(count: number, seed = 42): ClientSpec[] {
  const random = prng(seed);
  const specs: ClientSpec[] = [];
  for (let index = 0; index < count; index += 1) {
    const ops = random() < 0.4;
    const r = random();
    const filterSize = r < 0.2 ? 0 : r < 0.65 ? 1 : r < 0.85 ? 2 : 3;
    const agents = new Set<string>();
    while (agents.size < filterSize) agents.add(AGENTS[Math.floor(random() * AGENTS.length)]);
    const t = random();
    specs.push({
      index,
      userId: ops ? OPS_USER : USERS[index % USERS.length],
      seesAllUsers: ops,
      agentFilter: [...agents],
      threshold: t < 0.7 ? 0 : t < 0.85 ? 0.5 : 0.8,
    });
  }
  return specs;
}

/** CONTRACT §4's delivery rule for a client subscribed to `all_events` only. */
export function selects(client: ClientSpec, cell: Cell): boolean {
  if (!client.seesAllUsers && cell.owner !== null && cell.owner !== client.userId) return false;
  if (client.agentFilter.length > 0 && !client.agentFilter.includes(cell.agent)) return false;
  if (client.threshold > 0 && cell.score !== null && cell.score < client.threshold) return false;
  return true;
}

/** For each cell, how many of `clients` an event of that cell reaches. */
export function recipientsPerCell(clients: readonly ClientSpec[], broadcast: boolean): number[] {
  return CELLS.map((cell) =>
    broadcast ? clients.length : clients.filter((c) => selects(c, cell)).length,
  );
}

const WORDS =
  'agent plan tool memory retrieve answer verify hypothesis evidence summary context budget token model route cache'.split(
    ' ',
  );

/**
 * Event factory: the canonical stored JSON (libs/contracts AgentEvent, as ingest writes it) for
 * a cell. Payload text varies from 100 to 700 characters; frames average about 1 KB.
 */
export class EventFactory {
  private readonly random: () => number;
  private sequence = 0;

  constructor(seed = 7) {
    this.random = prng(seed);
  }

  /** A random cell (uniform) and the JSON of a fresh event in it. */
  next(): { cell: Cell; json: string } {
    const cell = CELLS[Math.floor(this.random() * CELLS.length)];
    return { cell, json: JSON.stringify(this.event(cell)) };
  }

  event(cell: Cell): AgentEvent {
    this.sequence += 1;
    const now = new Date().toISOString();
    const length = 100 + Math.floor(this.random() * 600);
    let text = '';
    while (text.length < length) text += `${WORDS[Math.floor(this.random() * WORDS.length)]} `;
    const event: AgentEvent = {
      event_id: randomUUID(),
      event_type: cell.score === null ? 'agent_decision' : 'llm_call',
      timestamp: now,
      received_at: now,
      trace_id: `trace-${this.sequence >> 4}`,
      session_id: 'bench-session',
      source_agent: { id: cell.agent, role: 'researcher' },
      payload: { sequence: this.sequence, text: text.trimEnd() },
      metadata: { source: 'auren-bench' },
    };
    if (cell.owner !== null) event.user_id = cell.owner;
    if (cell.score !== null) {
      event.performance_metrics = {
        latency_ms: 120 + Math.floor(this.random() * 800),
        token_cost: 0.0021,
        success: true,
        confidence_score: cell.score,
        tokens_used: 512,
        model: 'gpt-4o-mini',
      };
    }
    return event;
  }
}
