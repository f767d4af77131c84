/**
 * A minimal keep-alive HTTP/1.1 client for the ingest load generators: one request in flight
 * per connection (no pipelining), requests written as prebuilt text, responses parsed only as
 * far as the status line and `Content-Length`. It costs the load process a few microseconds per
 * request, so that on a shared 2-core machine the servers, not the client, set the pace.
 *
 * Only what ingest and the bare baseline answer is understood: responses with a
 * `Content-Length` (no chunked encoding, no 1xx), over plain TCP.
 */
import { connect, type Socket } from 'node:net';

export interface HttpTarget {
  host: string;
  port: number;
  /** `Authorization` header value, or none. */
  authorization?: string;
}

export function parseTarget(url: string, authorization?: string): HttpTarget {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 80), authorization };
}

/** The request head for a JSON POST of `bodyBytes` bytes (the body follows it). */
export function postHead(target: HttpTarget, path: string, bodyBytes: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\n` +
    `Content-Type: application/json\r\n` +
    (target.authorization ? `Authorization: ${target.authorization}\r\n` : '') +
    `Content-Length: ${bodyBytes}\r\n\r\n`
  );
}

export interface HttpResponse {
  status: number;
  /** The body, kept only when the status is not the expected one (for error reports). */
  body?: string;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** One keep-alive connection. `request` must not be called again before its callback ran. */
export class KeepAliveConnection {
  private socket!: Socket;
  private pending: Buffer | null = null;
  private callback: ((error: Error | null, response?: HttpResponse) => void) | null = null;
  private closed = false;

  private constructor(
    private readonly target: HttpTarget,
    private readonly expectStatus: number,
  ) {}

  static open(target: HttpTarget, expectStatus: number): Promise<KeepAliveConnection> {
    const connection = new KeepAliveConnection(target, expectStatus);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: target.host, port: target.port, noDelay: true });
      connection.socket = socket;
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', (error) => connection.fail(error));
        resolve(connection);
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => connection.onData(chunk));
      socket.on('close', () => {
        connection.closed = true;
        connection.fail(new Error('connection closed by the server'));
      });
    });
  }

  get busy(): boolean {
    return this.callback !== null;
  }

  /** Writes `text` (head and body, UTF-8) and calls back with the response. */
  request(text: string, callback: (error: Error | null, response?: HttpResponse) => void): void {
    if (this.closed) {
      callback(new Error('connection is closed'));
      return;
    }
    this.callback = callback;
    this.socket.write(text);
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private fail(error: Error): void {
    const callback = this.callback;
    this.callback = null;
    callback?.(error);
  }

  private onData(chunk: Buffer): void {
    const buffer = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const headEnd = buffer.indexOf(CRLFCRLF);
    if (headEnd < 0) {
      this.pending = buffer;
      return;
    }
    // "HTTP/1.1 202 Accepted": the status is at offset 9.
    const status = (buffer[9] - 48) * 100 + (buffer[10] - 48) * 10 + (buffer[11] - 48);
    const head = buffer.toString('latin1', 0, headEnd);
    const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!match) {
      this.pending = null;
      this.fail(new Error(`response without Content-Length: ${head.slice(0, 200)}`));
      this.close();
      return;
    }
    const end = headEnd + 4 + Number(match[1]);
    if (buffer.length < end) {
      this.pending = buffer;
      return;
    }
    this.pending = buffer.length > end ? buffer.subarray(end) : null;
    const response: HttpResponse = { status };
    if (status !== this.expectStatus) response.body = buffer.toString('utf8', headEnd + 4, end);
    const callback = this.callback;
    this.callback = null;
    callback?.(null, response);
  }
}
