/**
 * One measured window of an end-to-end latency round (P4, P6's latency part, P7): starts the
 * paced sender, waits for its result, reads every watched process's CPU over the window, then asks
 * the clients for their figures over the sender's window.
 */
import type { LatencyClientsResult, LatencySenderResult } from './ingest-ipc';
import { cpuSeconds, machineBusySeconds, type ManagedProcess } from './processes';

export interface LatencyWindow {
  sent: LatencySenderResult;
  got: LatencyClientsResult;
  /** Fractions of one core per watched process over the window, and `other` for the rest. */
  cpu: Record<string, number>;
}

/** An IPC accept function: the message of `type`; an `error` message throws. */
export function result<T>(type: string) {
  return (message: unknown): T | undefined => {
    const m = message as { type?: string; message?: string };
    if (m?.type === 'error') throw new Error(m.message);
    return m?.type === type ? (m as T) : undefined;
  };
}

export async function measureLatencyWindow(
  sender: ManagedProcess,
  clients: ManagedProcess,
  pids: Record<string, number>,
  windowSeconds: number,
): Promise<LatencyWindow> {
  const cpuA = Object.fromEntries(Object.entries(pids).map(([n, p]) => [n, cpuSeconds(p)]));
  const machineA = machineBusySeconds();
  const t0 = Date.now();
  sender.send({ cmd: 'start' });
  const sent = await sender.message(
    result<LatencySenderResult>('sender-result'),
    windowSeconds * 1000 + 30_000,
  );
  const elapsed = (Date.now() - t0) / 1000;
  const cpu: Record<string, number> = Object.fromEntries(
    Object.entries(pids).map(([n, p]) => [n, (cpuSeconds(p) - cpuA[n]) / elapsed]),
  );
  const ours = Object.values(cpu).reduce((a, b) => a + b, 0);
  cpu.other = Math.max(0, (machineBusySeconds() - machineA) / elapsed - ours);
  clients.send({ cmd: 'report', window: sent.window });
  const got = await clients.message(result<LatencyClientsResult>('clients-result'), 30_000);
  return { sent, got, cpu };
}
