import Redis from 'ioredis';
import { AurenClient, AurenError, AurenEvent, RetryInfo } from '@auren/sdk';

/** The events of a Redis stream, as stored (canonical JSON, with received_at). */
export async function storedEvents(
  redis: Redis,
  key: string,
): Promise<Array<AurenEvent & { received_at: string }>> {
  const entries = (await redis.xrange(key, '-', '+')) as [string, string[]][];
  return entries.map(([, fields]) => JSON.parse(fields[1]) as AurenEvent & { received_at: string });
}

const open: AurenClient[] = [];

/** An SDK client with short timers and every problem collected; `closeSdkClients` closes them. */
export function sdkClient(url: string, over: ConstructorParameters<typeof AurenClient>[0] = {}) {
  const errors: AurenError[] = [];
  const retries: Array<RetryInfo & { at: number }> = [];
  const sut = new AurenClient({
    url,
    apiKey: 'test-key',
    flushIntervalMs: 50,
    exitFlushTimeoutMs: 0,
    onError: (e) => errors.push(e),
    onRetry: (r) => retries.push({ ...r, at: Date.now() }),
    ...over,
  });
  open.push(sut);
  return { sut, errors, retries };
}

export async function closeSdkClients(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.close({ timeoutMs: 1000 })));
}
