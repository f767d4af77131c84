import { Kafka, logLevel } from 'kafkajs';
import type { AurenConfig } from '@auren/config';
import { postJson, RunningApp, startIngest, testConfig } from '../harness/apps';
import { CliProcess, runCli } from '../harness/cli';
import { testKafkaBrokers } from '../harness/kafka';
import { freePort } from '../harness/ports';

const TOOL = 'scripts/tail.ts';
let seq = 0;

async function post(
  ingest: RunningApp,
  agent: string,
  type = 'llm_call',
): Promise<{ eventId: string; streamId: string }> {
  const eventId = `tail-${Date.now()}-${seq++}`;
  const reply = await postJson(`${ingest.url}/v1/events`, {
    event_id: eventId,
    event_type: type,
    source_agent: { id: agent },
    performance_metrics: { latency_ms: 5, token_cost: 0.01 },
  });
  expect(reply.status).toBe(202);
  return { eventId, streamId: reply.body.stream_id as string };
}

/**
 * `npm run tail` against the streams the apps write: a real ingest (in this process) on the
 * harness's Redis and on its Kafka broker, the tool as its own process with the apps' variables.
 */
describe('npm run tail', () => {
  const tools: CliProcess[] = [];
  const spawn = (args: string[], env: Record<string, string | undefined>) => {
    const tool = CliProcess.spawn(TOOL, args, env);
    tools.push(tool);
    return tool;
  };
  afterAll(() => {
    for (const tool of tools) tool.kill();
  });

  describe('Redis', () => {
    let config: AurenConfig;
    let ingest: RunningApp;
    let env: Record<string, string | undefined>;

    beforeAll(async () => {
      config = await testConfig();
      ingest = await startIngest(config);
      env = { REDIS_URL: process.env.AUREN_TEST_REDIS_URL, AUREN_STREAM_KEY: config.stream.key };
    });
    afterAll(() => ingest?.close());

    it('follows new events from the end, filtered by --agent and --type; Ctrl-C exits 0', async () => {
      const before = await post(ingest, 'tail_a');
      const tool = spawn(['--agent', 'tail_a', '--type', 'llm_call,custom.*'], env);
      await tool.waitFor(`following Redis stream ${config.stream.key}`, 'stderr');
      expect(tool.stderr).toContain(`from its end (${before.streamId})`);

      const wanted = await post(ingest, 'tail_a');
      const otherType = await post(ingest, 'tail_a', 'tool_usage');
      const otherAgent = await post(ingest, 'tail_b');
      const custom = await post(ingest, 'tail_a', 'custom.tail_check');
      await tool.waitFor(`id=${custom.eventId}`);

      expect(tool.lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${wanted.streamId} llm_call tail_a latency=5ms cost=\\$0\\.0100 id=${wanted.eventId}$`,
          ),
        ),
        expect.stringContaining(`${custom.streamId} custom.tail_check tail_a`),
      ]);
      for (const skipped of [before, otherType, otherAgent]) {
        expect(tool.stdout).not.toContain(skipped.eventId);
      }

      tool.signal('SIGINT');
      expect(await tool.exited()).toBe(0);
      expect(tool.stderr).toContain('stopped: 2 events shown');
    });

    it('--last N --json prints the newest events as JSON with their stream_id, --count ends it', async () => {
      const older = await post(ingest, 'tail_c');
      const newer = await post(ingest, 'tail_c', 'agent_decision');
      const run = await runCli(TOOL, ['--last', '2', '--json', '--count', '2'], env);

      expect(run.code).toBe(0);
      const printed = run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(printed).toEqual([
        expect.objectContaining({
          event_id: older.eventId,
          stream_id: older.streamId,
          event_type: 'llm_call',
          source_agent: { id: 'tail_c' },
        }),
        expect.objectContaining({ event_id: newer.eventId, stream_id: newer.streamId }),
      ]);
    });

    it('--from a stream id prints what came after it', async () => {
      const from = await post(ingest, 'tail_d');
      const next = await post(ingest, 'tail_d');
      const run = await runCli(TOOL, ['--from', from.streamId, '--count', '1'], env);

      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`${next.streamId} llm_call tail_d`);
      expect(run.stdout).not.toContain(from.eventId);
    });
  });

  it('exits 4 naming the Redis (without its password) and what to run when Redis is down', async () => {
    const port = await freePort();
    const run = await runCli(TOOL, [], {
      REDIS_URL: `redis://auren:sekrit-pass@127.0.0.1:${port}`,
    });

    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      `cannot reach Redis at redis://auren:***@127.0.0.1:${port} (REDIS_URL): connect ECONNREFUSED`,
    );
    expect(run.stderr).toContain('what to do: start Redis');
    expect(run.stderr).not.toContain('sekrit-pass');
  });

  it('exits 78 on the memory stream and on bad variables, and 0 for --help', async () => {
    const [memory, badUrl, help] = await Promise.all([
      runCli(TOOL, [], {}),
      runCli(TOOL, [], { REDIS_URL: 'localhost:6379' }),
      runCli(TOOL, ['--help'], {}),
    ]);

    expect(memory.code).toBe(78);
    expect(memory.stderr).toContain('the stream backend is memory');
    expect(badUrl.code).toBe(78);
    expect(badUrl.stderr).toContain('REDIS_URL: must look like redis://host:port');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--last N');
  });

  describe('Kafka', () => {
    let ingest: RunningApp;
    let env: Record<string, string>;

    beforeAll(async () => {
      env = {
        AUREN_STREAM_BACKEND: 'kafka',
        KAFKA_BROKERS: testKafkaBrokers().join(','),
        AUREN_KAFKA_TOPIC: `test.tail.${Date.now()}.${Math.random().toString(36).slice(2)}`,
      };
      ingest = await startIngest(await testConfig({ ...env, AUREN_KAFKA_PARTITIONS: '2' }));
    });
    afterAll(() => ingest?.close());

    it('--last 1 prints the newest record, then follows the topic; positions are partition-offset', async () => {
      const first = await post(ingest, 'kafka_tail'); // creates the topic
      const tool = spawn(['--last', '1', '--agent', 'kafka_tail'], env);
      await tool.waitFor(`following Kafka topic ${env.AUREN_KAFKA_TOPIC}`, 'stderr');
      await tool.waitFor(`id=${first.eventId}`);

      const live = await post(ingest, 'kafka_tail');
      await post(ingest, 'kafka_other');
      await tool.waitFor(`id=${live.eventId}`);
      expect(tool.lines).toEqual([
        expect.stringContaining(`${first.streamId} llm_call kafka_tail`),
        expect.stringContaining(`${live.streamId} llm_call kafka_tail`),
      ]);
      expect(live.streamId).toMatch(/^\d+-\d+$/);

      tool.signal('SIGINT');
      expect(await tool.exited()).toBe(0);
      // Its throwaway consumer group is deleted on the way out.
      const admin = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        const { groups } = await admin.listGroups();
        expect(groups.filter((g) => g.groupId.includes(`-${tool.pid}-`))).toEqual([]);
      } finally {
        await admin.disconnect();
      }
    });
  });
});
