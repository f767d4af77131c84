import { createHash } from 'node:crypto';
import { Command } from 'ioredis';
import type { RedisTarget } from '@auren/config';
import { createRedisClient, type RedisClient } from '@auren/streaming';

/**
 * GCRA over many credentials at once (gcra.ts has the same sums in TypeScript). KEYS: one TAT
 * key per credential. ARGV, three per key: interval and tolerance (µs), and how many events the
 * pod wants. Each credential gets as many as fit, up to what was asked (0 when none fits), and
 * the answer says how far its TAT is ahead of now afterwards (µs), from which the pod works out
 * `Retry-After`. Time is Redis's, so pods with skewed clocks agree. A key lives only while its
 * TAT is ahead of now: an idle credential costs no memory.
 */
const GRANT_SCRIPT = `
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local out = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 3 - 2])
  local tolerance = tonumber(ARGV[i * 3 - 1])
  local want = tonumber(ARGV[i * 3])
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local room = math.floor((tolerance - (tat - now)) / interval + 0.000001)
  if room < 0 then room = 0 end
  local granted = math.min(want, room)
  if granted > 0 then
    tat = tat + granted * interval
    redis.call('SET', key, string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
  end
  out[i * 2 - 1] = granted
  out[i * 2] = math.floor(tat - now)
end
return out
`;
const GRANT_SHA = createHash('sha1').update(GRANT_SCRIPT).digest('hex');

export interface GrantRequest {
  key: string;
  intervalUs: number;
  toleranceUs: number;
  want: number;
}

export interface Grant {
  granted: number;
  /** How far the credential's TAT is ahead of Redis's clock after the grant, in µs. */
  backlogUs: number;
}

/** The Redis side of the rate limits: one connection, one script call per batch of credentials. */
export class SharedLimits {
  private readonly redis: RedisClient;

  /** `target`: on Redis Cluster the keys of one call must share a slot (see RateLimiter's prefix). */
  constructor(target: RedisTarget | string, commandTimeoutMs = 500) {
    this.redis = createRedisClient(target, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: commandTimeoutMs,
      connectionName: 'auren-ratelimit',
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 7), 2000),
    });
    // Failures surface through the calls (and the limiter's fallback); no retry noise.
    this.redis.on('error', () => undefined);
  }

  /** Connected: a call can be tried. When not, the limiter decides on its own without waiting. */
  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  async grant(requests: GrantRequest[]): Promise<Grant[]> {
    const args: Array<string | number> = [requests.length];
    for (const r of requests) args.push(r.key);
    for (const r of requests) args.push(r.intervalUs, r.toleranceUs, r.want);
    let reply: number[];
    try {
      reply = await this.send('evalsha', [GRANT_SHA, ...args]);
    } catch (error) {
      // NOSCRIPT: nothing ran; send the script text once, Redis caches it from then on.
      if (!(error as Error).message?.includes('NOSCRIPT')) throw error;
      reply = await this.send('eval', [GRANT_SCRIPT, ...args]);
    }
    return requests.map((_, i) => ({
      granted: Number(reply[i * 2]),
      backlogUs: Number(reply[i * 2 + 1]),
    }));
  }

  /** One command written at once: a grant call already gathers one event-loop turn. */
  private send(name: string, args: Array<string | number>): Promise<number[]> {
    const command = new Command(name, args);
    void this.redis.sendCommand(command);
    return command.promise as Promise<number[]>;
  }

  close(): void {
    this.redis.disconnect();
  }
}
