import { AppProcess } from '../harness/apps';
import { freePort } from '../harness/ports';
import { RedisServer } from '../harness/redis';

/**
 * Issue 10 §2: ingest inspects the Redis it writes to at start, says whether acknowledged events
 * survive a Redis restart, and in production mode refuses a volatile one unless told to accept it.
 */
describe('Ingest checks the durability of its Redis at start (production mode)', () => {
  const production = {
    NODE_ENV: 'production',
    AUREN_JWT_SECRET: 'an-e2e-production-secret-of-more-than-32-chars',
    AUREN_API_KEYS: 'e2e-durability-service-key-0123456789',
    AUREN_STREAM_KEY: `e2e:durability:${Date.now()}`,
    // AppProcess accepts the harness's volatile Redis by default; these tests decide themselves.
    AUREN_REDIS_ALLOW_VOLATILE: undefined as string | undefined,
  };
  const servers: RedisServer[] = [];
  const apps: AppProcess[] = [];

  async function redis(args: string[] = []): Promise<RedisServer> {
    const server = await RedisServer.start(undefined, { args });
    servers.push(server);
    return server;
  }

  async function ingest(
    server: { url: string },
    env: Record<string, string | undefined> = {},
  ): Promise<{ app: AppProcess; url: string }> {
    const port = await freePort();
    const app = AppProcess.spawn('ingest', {
      ...production,
      REDIS_URL: server.url,
      INGEST_PORT: String(port),
      ...env,
    });
    apps.push(app);
    return { app, url: `http://127.0.0.1:${port}` };
  }

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()));
    await Promise.all(servers.splice(0).map((server) => server.dispose()));
  });

  it('refuses a Redis without persistence, naming the variable that accepts it, exit code 78', async () => {
    const { app } = await ingest(await redis());

    expect(await app.exited()).toBe(78);
    expect(app.text).toContain('Refusing to start in production');
    expect(app.text).toContain('no persistence');
    expect(app.text).toContain('AUREN_REDIS_ALLOW_VOLATILE=true');
    expect(app.text).not.toContain('Ingest listening');
  });

  it('refuses a Redis with RDB snapshots only', async () => {
    const { app } = await ingest(await redis(['--save', '60 1000']));

    expect(await app.exited()).toBe(78);
    expect(app.text).toContain('RDB snapshots only');
    expect(app.text).toContain('AUREN_REDIS_ALLOW_VOLATILE=true');
  });

  it('starts on a volatile Redis with AUREN_REDIS_ALLOW_VOLATILE=true and says so', async () => {
    const { app, url } = await ingest(await redis(), { AUREN_REDIS_ALLOW_VOLATILE: 'true' });
    await app.ready(`${url}/health/ready`);

    expect(app.text).toMatch(/no persistence.*LOST when Redis restarts/);
    expect(app.text).toContain('Accepted by AUREN_REDIS_ALLOW_VOLATILE=true');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^auren_redis_durability\{mode="none",volatile="true"\} 1$/m);
  });

  it('starts on AOF with appendfsync always and says events survive a host crash', async () => {
    const server = await redis(['--appendonly', 'yes', '--appendfsync', 'always']);
    const { app, url } = await ingest(server);
    await app.ready(`${url}/health/ready`);

    expect(app.text).toContain('AOF with appendfsync always');
    expect(app.text).toContain('survive a Redis restart and a host crash');
    expect(app.text).not.toContain('Refusing');
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^auren_redis_durability\{mode="aof-always",volatile="false"\} 1$/m);
  });

  it('reads INFO persistence when CONFIG is disabled, as on managed Redis', async () => {
    const withAof = await redis(['--appendonly', 'yes', '--rename-command', 'CONFIG', '']);
    const aof = await ingest(withAof);
    await aof.app.ready(`${aof.url}/health/ready`);
    expect(aof.app.text).toContain('AOF on (fsync policy not visible)');

    const withoutAof = await redis(['--rename-command', 'CONFIG', '']);
    const refused = await ingest(withoutAof);
    expect(await refused.app.exited()).toBe(78);
    expect(refused.app.text).toContain('AOF off');
    expect(refused.app.text).toContain('AUREN_REDIS_ALLOW_VOLATILE=true');
  });

  it('a Redis that does not answer at start: a warning, and the process starts (unknown)', async () => {
    const { app, url } = await ingest({ url: `redis://127.0.0.1:${await freePort()}` });
    await app.ready(`${url}/health/live`);

    expect(app.text).toContain('could not inspect Redis persistence');
    expect(app.text).not.toContain('Refusing');
    expect((await fetch(`${url}/health/ready`)).status).toBe(503);
  });

  it('the all-in-one on Redis is held to the same check', async () => {
    const server = await redis();
    const app = AppProcess.spawn('all-in-one', {
      ...production,
      REDIS_URL: server.url,
      INGEST_PORT: String(await freePort()),
      GATEWAY_PORT: String(await freePort()),
    });
    apps.push(app);

    expect(await app.exited()).toBe(78);
    expect(app.text).toContain('AUREN_REDIS_ALLOW_VOLATILE=true');
  });
});
