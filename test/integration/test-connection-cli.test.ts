import { createServer, type Server } from 'node:net';
import type { AurenConfig } from '@auren/config';
import { postJson, RunningApp, startGateway, startIngest, testConfig } from '../harness/apps';
import { CliProcess, runCli } from '../harness/cli';
import { freePort } from '../harness/ports';

const TOOL = 'scripts/test-connection.ts';

/**
 * `npm run test-connection` against a real gateway and ingest (in this process, on the harness's
 * Redis): the handshake answer, the ping, live events, Ctrl-C, a resume after the gateway
 * restarted, and the exit codes of a refused handshake, an unreachable gateway and a timeout.
 */
describe('npm run test-connection', () => {
  let config: AurenConfig;
  let ingest: RunningApp;
  let gateway: RunningApp;
  const tools: CliProcess[] = [];
  let seq = 0;

  beforeAll(async () => {
    config = await testConfig();
    ingest = await startIngest(config);
    gateway = await startGateway(config);
  });
  afterAll(async () => {
    for (const tool of tools) tool.kill();
    await gateway?.close();
    await ingest?.close();
  });

  const post = async (agent: string) => {
    const eventId = `tc-${Date.now()}-${seq++}`;
    const reply = await postJson(`${ingest.url}/v1/events`, {
      event_id: eventId,
      event_type: 'llm_call',
      source_agent: { id: agent },
      performance_metrics: { latency_ms: 42, tokens_used: 7, model: 'tiny-model' },
    });
    expect(reply.status).toBe(202);
    return { eventId, streamId: reply.body.stream_id as string };
  };

  it('--help prints the usage with the exit codes and exits 0', async () => {
    const run = await runCli(TOOL, ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--agent-filter IDS');
    expect(run.stdout).toContain('3 handshake refused');
  });

  it('prints the handshake answer and the ping, then filtered live events; resumes after a gateway restart; Ctrl-C exits 0', async () => {
    const tool = CliProcess.spawn(TOOL, [
      '--url',
      gateway.url,
      '--token',
      'test-cli-token',
      '--agent-filter',
      'tc_watched',
      '--subscriptions',
      'all_events',
    ]);
    tools.push(tool);
    await tool.waitFor('listening for events');
    expect(tool.stdout).toMatch(/connection_established: connection_id=\S+ user_id=test_user/);
    expect(tool.stdout).toContain('subscriptions=all_events agent_filter=tc_watched');
    expect(tool.stdout).toMatch(/ping: \d+(\.\d)? ms round trip \(pong server_time \S+\)/);
    expect(tool.stdout + tool.stderr).not.toContain('test-cli-token');

    const first = await post('tc_watched');
    const other = await post('tc_other');
    const second = await post('tc_watched');
    await tool.waitFor(`id=${second.eventId}`);
    const eventLines = () => tool.lines.filter((line) => / llm_call /.test(line));
    expect(eventLines()).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${first.streamId} llm_call tc_watched model=tiny-model latency=42ms tokens=7 id=${first.eventId}$`,
        ),
      ),
      expect.stringContaining(`${second.streamId} llm_call tc_watched`),
    ]);
    expect(tool.stdout).not.toContain(other.eventId);

    // The gateway goes away (drain) and comes back on the same port; what was posted meanwhile
    // arrives once, through the resume the tool's reconnection asks for.
    await gateway.close();
    await tool.waitFor('disconnected: transport close');
    const missed = await post('tc_watched');
    gateway = await startGateway(config);
    await tool.waitFor(`id=${missed.eventId}`, 'stdout', 20_000);
    expect(tool.stdout).toContain(`resume: recovered=true replayed=1 from=${second.streamId}`);
    const after = await post('tc_watched');
    await tool.waitFor(`id=${after.eventId}`);
    expect(eventLines()).toHaveLength(4);

    tool.signal('SIGINT');
    expect(await tool.exited()).toBe(0);
    expect(tool.stdout).toContain('stopped: 4 stream events received');
  });

  it('exits 3 on a refused handshake, printing the connect_error code, message and what to do', async () => {
    const [badToken, noToken, badThreshold] = await Promise.all([
      runCli(TOOL, ['--url', gateway.url, '--token', 'not-a-jwt']),
      runCli(TOOL, ['--url', gateway.url]),
      runCli(TOOL, ['--url', gateway.url, '--token', 'test-x', '--performance-threshold', '2']),
    ]);

    expect(badToken.code).toBe(3);
    expect(badToken.stderr).toMatch(/refused: connect_error AUTH_FAILED: .+/);
    expect(badToken.stderr).toContain('what to do: the gateway takes a JWT');
    expect(badToken.stderr + badToken.stdout).not.toContain('not-a-jwt');
    expect(noToken.code).toBe(3);
    expect(noToken.stderr).toContain(
      'refused: connect_error AUTH_REQUIRED: auth.token is required in the handshake',
    );
    expect(noToken.stderr).toContain('--token test-token');
    expect(badThreshold.code).toBe(3);
    expect(badThreshold.stderr).toContain(
      'connect_error BAD_HANDSHAKE: performance_threshold must be a number from 0 to 1',
    );
  });

  it('exits 4 when nothing listens and 5 when the server never answers', async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as { port: number }).port;
    try {
      const closedPort = await freePort();
      const [unreachable, timeout] = await Promise.all([
        runCli(TOOL, ['--url', `http://127.0.0.1:${closedPort}`, '--token', 'test-x']),
        runCli(TOOL, [
          '--url',
          `http://127.0.0.1:${silentPort}`,
          '--token',
          'test-x',
          '--timeout',
          '1000',
        ]),
      ]);

      expect(unreachable.code).toBe(4);
      expect(unreachable.stderr).toContain(
        `cannot reach the gateway at http://127.0.0.1:${closedPort}: xhr poll error`,
      );
      expect(unreachable.stderr).toContain('what to do: check the URL and port');
      expect(timeout.code).toBe(5);
      expect(timeout.stderr).toContain('timed out');
    } finally {
      silent.close();
    }
  });
});
