import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { KafkaBroker, pingKafka } from './kafka';
import { pingPostgres, PostgresServer } from './postgres';
import { pingRedis, RedisServer } from './redis';

declare global {
  var __AUREN_REDIS__: RedisServer | undefined;
  var __AUREN_KAFKA__: KafkaBroker | undefined;
  var __AUREN_POSTGRES__: PostgresServer | undefined;
}

/** KAFKA_BROKERS when set (it must answer), else one Kafka broker of our own for the whole run. */
async function provisionKafka(): Promise<void> {
  const given = process.env.KAFKA_BROKERS;
  if (given) {
    const brokers = given
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean);
    await pingKafka(brokers).catch((error: Error) => {
      throw new Error(
        `KAFKA_BROKERS=${given} does not answer (${error.message}); unset it to let the tests start their own Kafka broker`,
      );
    });
    process.env.AUREN_TEST_KAFKA_BROKERS = brokers.join(',');
  } else {
    const broker = await KafkaBroker.start();
    globalThis.__AUREN_KAFKA__ = broker;
    process.env.AUREN_TEST_KAFKA_BROKERS = broker.bootstrapServers;
    process.stderr.write(
      `test harness: Kafka ${broker.version} on ${broker.bootstrapServers} (ready in ${(broker.lastStartMs / 1000).toFixed(1)} s, log ${broker.logFile})\n`,
    );
  }
}

/**
 * DATABASE_URL when set (it must answer; test files create their own databases in it), else a
 * PostgreSQL server of our own for the whole run.
 */
async function provisionPostgres(): Promise<void> {
  const given = process.env.DATABASE_URL;
  if (given) {
    await pingPostgres(given).catch((error: Error) => {
      throw new Error(
        `DATABASE_URL=${given} does not answer (${error.message}); unset it to let the tests start their own PostgreSQL`,
      );
    });
    process.env.AUREN_TEST_DATABASE_URL = given;
  } else {
    const started = Date.now();
    const server = await PostgresServer.start();
    globalThis.__AUREN_POSTGRES__ = server;
    process.env.AUREN_TEST_DATABASE_URL = server.url;
    process.stderr.write(
      `test harness: PostgreSQL on ${server.url} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );
  }
  // Apps started by tests choose their database explicitly; none inherits the harness's.
  delete process.env.DATABASE_URL;
}

/**
 * Provisions what the tiers need: a Redis (REDIS_URL when set, else a redis-server of our own),
 * a Kafka (KAFKA_BROKERS when set, else a broker of our own, started alongside the rest), a
 * PostgreSQL (DATABASE_URL when set, else a server of our own) and,
 * for e2e, a fresh build of the apps in dist/.
 */
export default async function globalSetup(): Promise<void> {
  const kafka = provisionKafka();
  kafka.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  const postgres = provisionPostgres();
  postgres.catch(() => undefined);
  if (process.env.REDIS_URL) {
    await pingRedis(process.env.REDIS_URL).catch((error: Error) => {
      throw new Error(
        `REDIS_URL=${process.env.REDIS_URL} does not answer (${error.message}); unset it to let the tests start their own redis-server`,
      );
    });
  } else {
    const server = await RedisServer.start();
    globalThis.__AUREN_REDIS__ = server;
    process.env.REDIS_URL = server.url;
  }
  process.env.AUREN_TEST_REDIS_URL = process.env.REDIS_URL;
  await new Promise<void>((resolve, reject) => {
    const build = spawn(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.mjs')], {
      stdio: 'inherit',
    });
    build.once('error', reject);
    build.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`scripts/build.mjs failed (${signal ?? `exit code ${code}`})`)),
    );
  });
  await postgres;
  await kafka;
}
