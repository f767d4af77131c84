/**
 * The V8 inspector of a server started with `--inspect=127.0.0.1:<port>`: a full garbage
 * collection and `process.memoryUsage()` from outside the process (P5), and CPU profiles of a
 * measurement window (`--profile`). Nothing in the server's code takes part.
 */
import WebSocket from 'ws';

interface Reply {
  id?: number;
  method?: string;
  params?: { chunk?: string };
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class Inspector {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();
  private chunks?: string[];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString()) as Reply;
      if (reply.method === 'HeapProfiler.addHeapSnapshotChunk') {
        this.chunks?.push(reply.params?.chunk ?? '');
        return;
      }
      if (reply.id === undefined) return;
      const resolve = this.pending.get(reply.id);
      if (!resolve) return;
      this.pending.delete(reply.id);
      resolve(reply);
    });
  }

  static async connect(port: number): Promise<Inspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new Inspector(socket);
  }

  async call(method: string, params: object = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
    if (reply.error) throw new Error(`${method}: ${reply.error.message}`);
    return reply.result ?? {};
  }

  /** A full, compacting garbage collection. */
  async collectGarbage(): Promise<void> {
    await this.call('HeapProfiler.collectGarbage');
  }

  async memoryUsage(): Promise<NodeJS.MemoryUsage> {
    const result = await this.call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const value = (result.result as { value: string }).value;
    return JSON.parse(value) as NodeJS.MemoryUsage;
  }

  async startProfile(intervalUs = 500): Promise<void> {
    await this.call('Profiler.enable');
    await this.call('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.call('Profiler.start');
  }

  /** The `.cpuprofile` JSON of what ran since {@link startProfile}. */
  async stopProfile(): Promise<unknown> {
    const result = await this.call('Profiler.stop');
    return result.profile;
  }

  /** A heap snapshot (`.heapsnapshot` JSON text), taken after a full collection. */
  async takeHeapSnapshot(): Promise<string> {
    this.chunks = [];
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const text = this.chunks.join('');
    this.chunks = undefined;
    return text;
  }

  close(): void {
    this.socket.close();
  }
}
