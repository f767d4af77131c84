/**
 * What the end-to-end latency rounds (P4, P6's latency part, P7's victim) share: their settings,
 * the paced sender and the socket.io clients as processes, the figures and checks of a measured
 * window, and the clean-up of the load processes and of the round's stream.
 */
import Redis from 'ioredis';
import type {
  LatencyClientsConfig,
  LatencyClientsResult,
  LatencySenderConfig,
  LatencySenderResult,
} from './ingest-ipc';
import type { LatencyWindow } from './latency-window';
import { ManagedProcess } from './processes';
import type { ScenarioContext } from './scenario';

export interface LatencySettings {
  rate: number;
  clients: number;
  warmupSeconds: number;
  seconds: number;
  rounds: number;
}

/** P4's rounds, and P7's victim: 500 events/s to 20 clients. */
export function latencySettings(quick: boolean): LatencySettings {
  return {
    rate: 500,
    clients: 20,
    // Long enough for the JIT to have compiled the hot paths before the window opens.
    warmupSeconds: quick ? 2.5 : 5,
    seconds: quick ? 4 : 15,
    rounds: quick ? 1 : 3,
  };
}

/** A round's figures from its window, and whether its checks held. */
export interface LatencyFigures {
  latencyMs: LatencyClientsResult['latencyMs'];
  samples: number;
  sender: Omit<LatencySenderResult, 'type'>;
  clients: Omit<LatencyClientsResult, 'type' | 'latencyMs'>;
  /** Fractions of one core over warm-up and measurement, and `other`: the rest of the machine. */
  cpu: Record<string, number>;
  checked: boolean;
}

/** The socket.io clients (bench/load/latency-clients.ts) of scenario `id`. */
export function latencyClients(id: string, config: LatencyClientsConfig): ManagedProcess {
  return ManagedProcess.tsx(`${id} clients`, 'bench/load/latency-clients.ts', {
    ipc: true,
    env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
  });
}

/** The paced sender (bench/load/latency-sender.ts) of scenario `id`, at the settings' rate. */
export function latencySender(
  id: string,
  target: Pick<LatencySenderConfig, 'url' | 'authorization'>,
  settings: LatencySettings,
  seed: number,
): ManagedProcess {
  const config: LatencySenderConfig = {
    url: target.url,
    authorization: target.authorization,
    rate: settings.rate,
    warmupMs: settings.warmupSeconds * 1000,
    measureMs: settings.seconds * 1000,
    seed,
  };
  return ManagedProcess.tsx(`${id} sender`, 'bench/load/latency-sender.ts', {
    ipc: true,
    env: { BENCH_LOAD_CONFIG: JSON.stringify(config) },
  });
}

/**
 * The window's figures; checked when every POST was answered 202 and every client got every
 * event of the window exactly once.
 */
export function latencyFigures({ sent, got, cpu }: LatencyWindow): LatencyFigures {
  const { type: _s, ...sender } = sent;
  const { type: _c, latencyMs, ...clients } = got;
  return {
    latencyMs,
    samples: got.samples,
    sender,
    clients,
    cpu,
    checked:
      sent.errors === 0 && sent.accepted === sent.sent && got.missing === 0 && got.duplicates === 0,
  };
}

/** Ends every load process still running (asked to exit, then stopped). */
export async function stopLoads(loads: readonly ManagedProcess[]): Promise<void> {
  for (const load of loads) await load.exitOrStop(3000);
}

/** Drops the round's stream: the whole database when the bench started its own redis-server. */
export async function dropStream(context: ScenarioContext, streamKey: string): Promise<void> {
  const redis = new Redis(context.redisUrl, { maxRetriesPerRequest: 1 });
  await (context.redisPid ? redis.flushdb('ASYNC') : redis.unlink(streamKey)).catch(
    () => undefined,
  );
  redis.disconnect();
}
