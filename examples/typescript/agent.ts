/**
 * A pretend research agent reporting to AUREN with @auren/sdk.
 *
 *   npm start                                  # in one terminal: ingest :3000, gateway :8765
 *   npx tsx examples/typescript/agent.ts       # in another; watch http://127.0.0.1:8765
 *
 * Run with --help for the options.
 */
import { parseArgs } from 'node:util';
import { AurenClient } from '@auren/sdk';

const HELP = `usage: npx tsx examples/typescript/agent.ts [options]

Simulates an agent (start, LLM calls, tools, memory, knowledge, a hypothesis, a decision, a
collaboration, completion) and reports every step to AUREN ingest with @auren/sdk.

options:
  --url <url>      ingest address (default http://127.0.0.1:3000, or 127.0.0.1:50051 with --grpc;
                   env AUREN_URL)
  --api-key <key>  credential (default test-key, accepted in development mode; env AUREN_API_KEY)
  --grpc           send over gRPC (needs @grpc/grpc-js and @grpc/proto-loader)
  --runs <n>       how many tasks to run (default 3)
  --delay <ms>     pause between steps, to watch them arrive (default 150)
  -h, --help       this text`;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'api-key': { type: 'string' },
    grpc: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    delay: { type: 'string', default: '150' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

const runs = Number(values.runs);
const delayMs = Number(values.delay);
if (!Number.isInteger(runs) || runs < 1 || !Number.isFinite(delayMs) || delayMs < 0) {
  console.error('--runs must be a whole number >= 1 and --delay a number of ms >= 0 (see --help)');
  process.exit(2);
}

const auren = new AurenClient({
  url: values.url ?? process.env.AUREN_URL,
  apiKey: values['api-key'] ?? process.env.AUREN_API_KEY ?? 'test-key',
  transport: values.grpc ? 'grpc' : 'http',
  flushIntervalMs: 200,
  onError: (e) => console.error(`auren: ${e.kind} (${e.reason}): ${e.message}`),
  onRetry: (r) => console.error(`auren: ${r.reason}, retry ${r.attempt} in ${r.delayMs} ms`),
});

const agent = { id: 'neuroscientist', role: 'Neuroscientist', goal: 'Explain recovery from HRV' };
const pause = () => new Promise((resolve) => setTimeout(resolve, delayMs));
const random = (min: number, max: number) => Math.round(min + Math.random() * (max - min));

async function task(n: number): Promise<void> {
  const { sessionId } = auren.trackAgentStart(agent, { task: `Analyse night ${n}` });
  console.log(`run ${n}: session ${sessionId}`);
  await pause();

  auren.trackMemoryAccess(agent, { tier: 'redis', operation: 'read', hit: n > 1, key: 'hrv:last' });
  auren.trackKnowledgeAccess(agent, {
    source: 'knowledge_graph',
    query: 'hrv recovery',
    resultsCount: random(1, 9),
  });
  await pause();

  for (let call = 0; call < 2; call += 1) {
    const inputTokens = random(400, 2000);
    const outputTokens = random(80, 600);
    auren.trackLlmCall(agent, {
      model: 'gpt-4o-mini',
      provider: 'openai',
      inputTokens,
      outputTokens,
      cost: (inputTokens * 0.15 + outputTokens * 0.6) / 1e6,
      latencyMs: random(300, 1800),
    });
    await pause();
  }

  auren.trackToolUsage(agent, {
    tool: 'hrv_reader',
    input: { nights: 7 },
    latencyMs: random(20, 90),
  });
  auren.trackHypothesis(agent, { statement: 'Late training lowers next-day HRV', confidence: 0.6 });
  auren.trackDecision(agent, {
    decision: 'Recommend an easy day',
    options: ['rest', 'easy', 'intervals'],
    reasoning: 'HRV 12 % under baseline',
    confidence: 0.84,
  });
  auren.trackCollaboration(agent, {
    collaboratingAgents: ['training_coach'],
    consensusReached: true,
    topic: 'tomorrow’s session',
    confidence: 0.8,
  });
  await pause();
  auren.trackAgentComplete(agent, { result: 'recommendation delivered' });
}

async function main(): Promise<void> {
  for (let n = 1; n <= runs; n += 1) await task(n);
  const stats = await auren.close();
  console.log(
    `sent ${stats.sent} events in ${stats.requests} requests; rejected ${stats.rejected}, dropped ${stats.dropped}, retried ${stats.retried}`,
  );
  if (stats.sent === 0) {
    console.error(
      'nothing was sent: is the ingest running? Start it with `npm start`, or pass --url',
    );
    process.exitCode = 1;
  }
}

void main();
