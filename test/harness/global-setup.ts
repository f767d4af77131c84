import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pingRedis, RedisServer } from './redis';

declare global {
  var __AUREN_REDIS__: RedisServer | undefined;
}

/**
 * Provisions what the tiers need: a Redis (REDIS_URL when set, else a redis-server of our own)
 * and, for e2e, a fresh build of the apps in dist/.
 */
export default async function globalSetup(): Promise<void> {
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
  execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build.mjs')], {
    stdio: 'inherit',
  });
}
