import { request } from 'node:http';
import WebSocket from 'ws';
import type { ConnectErrorData } from '@auren/contracts';

/**
 * Raw engine.io v4 / Socket.IO v5 frames, for handshakes no well-behaved client makes: a polling
 * POST that carries CONNECT and CLOSE together, a WebSocket cut at any moment. Protocol:
 * https://socket.io/docs/v4/engine-io-protocol/ and https://socket.io/docs/v4/socket-io-protocol/
 */

/** engine.io packet separator in a polling payload. */
const SEPARATOR = '\x1e';
/** engine.io CLOSE packet. */
export const CLOSE_PACKET = '1';
/** engine.io MESSAGE + Socket.IO CONNECT (default namespace) with the handshake's `auth`. */
export const connectPacket = (auth: Record<string, unknown>): string => `40${JSON.stringify(auth)}`;

/** What the server answered to a CONNECT: the Socket.IO sid, or the connect_error data. */
export type ConnectOutcome = { connected: string } | { refused: ConnectErrorData };

interface HttpAnswer {
  status: number;
  body: string;
}

function http(
  url: string,
  method: 'GET' | 'POST',
  body?: string,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { ...(body ? { 'content-type': 'text/plain;charset=UTF-8' } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads a Socket.IO CONNECT answer ('40{sid}' or '44{message,data}') out of engine.io packets. */
function outcomeOf(packets: string[]): ConnectOutcome | undefined {
  for (const packet of packets) {
    if (packet.startsWith('40'))
      return { connected: (JSON.parse(packet.slice(2)) as { sid: string }).sid };
    if (packet.startsWith('44'))
      return { refused: (JSON.parse(packet.slice(2)) as { data: ConnectErrorData }).data };
  }
  return undefined;
}

/** One engine.io long-polling session driven by hand. */
export class PollingSession {
  private constructor(
    private readonly endpoint: string,
    /** The engine.io session id (`socket.conn.id` on the server). */
    readonly sid: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** GET /socket.io/?EIO=4&transport=polling: the engine.io OPEN handshake. */
  static async open(
    baseUrl: string,
    headers: Record<string, string> = {},
  ): Promise<PollingSession> {
    const endpoint = `${baseUrl}/socket.io/?EIO=4&transport=polling`;
    const answer = await http(endpoint, 'GET', undefined, headers);
    if (answer.status !== 200 || !answer.body.startsWith('0'))
      throw new Error(`engine.io handshake answered ${answer.status}: ${answer.body}`);
    const { sid } = JSON.parse(answer.body.slice(1)) as { sid: string };
    return new PollingSession(endpoint, sid, headers);
  }

  /** The handshake request alone, for checks on its answer (status 403 for a refused Origin). */
  static handshake(baseUrl: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    return http(`${baseUrl}/socket.io/?EIO=4&transport=polling`, 'GET', undefined, headers);
  }

  /** POSTs engine.io packets in one payload; resolves with the HTTP status. */
  async send(...packets: string[]): Promise<number> {
    const answer = await http(
      `${this.endpoint}&sid=${this.sid}`,
      'POST',
      packets.join(SEPARATOR),
      this.headers,
    );
    return answer.status;
  }

  /** One long-polling GET: the packets the server had (or next has) for this session. */
  async poll(): Promise<{ status: number; packets: string[] }> {
    const answer = await http(`${this.endpoint}&sid=${this.sid}`, 'GET', undefined, this.headers);
    return { status: answer.status, packets: answer.body ? answer.body.split(SEPARATOR) : [] };
  }

  /** Sends CONNECT and polls until the server answers it. */
  async connect(auth: Record<string, unknown>): Promise<ConnectOutcome> {
    await this.send(connectPacket(auth));
    for (;;) {
      const { status, packets } = await this.poll();
      if (status !== 200) throw new Error(`poll answered ${status}`);
      const outcome = outcomeOf(packets);
      if (outcome) return outcome;
      if (packets.includes(CLOSE_PACKET)) throw new Error('the session was closed');
    }
  }

  close(): Promise<number> {
    return this.send(CLOSE_PACKET);
  }
}

/**
 * The slot-leak trigger of issue 10: one polling POST whose payload is a Socket.IO CONNECT with
 * a valid token followed by an engine.io CLOSE.
 */
export async function connectAndCloseInOnePost(
  baseUrl: string,
  auth: Record<string, unknown>,
): Promise<number> {
  const session = await PollingSession.open(baseUrl);
  return session.send(connectPacket(auth), CLOSE_PACKET);
}

/** One raw engine.io WebSocket session (`ws`), opened without polling first. */
export class RawWebSocket {
  readonly received: string[] = [];
  private readonly closed: Promise<void>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const text = data.toString();
      // Answer engine.io pings, as a client does.
      if (text === '2') socket.send('3');
      this.received.push(text);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A cut connection may report an error (ECONNRESET...) after it was opened: part of the test.
    socket.on('error', () => undefined);
  }

  /** Connects; resolves once the engine.io OPEN packet arrived (or rejects on an HTTP refusal). */
  static open(baseUrl: string, headers: Record<string, string> = {}): Promise<RawWebSocket> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const socket = new WebSocket(url, { headers });
    const raw = new RawWebSocket(socket);
    return new Promise((resolve, reject) => {
      socket.once('unexpected-response', (_req, res) => {
        socket.terminate();
        reject(
          Object.assign(new Error(`upgrade refused: ${res.statusCode}`), {
            status: res.statusCode,
          }),
        );
      });
      socket.once('error', reject);
      socket.once('message', () => resolve(raw));
    });
  }

  /** Opens the socket without waiting for anything (to cut it at a random moment). */
  static start(baseUrl: string): RawWebSocket {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    return new RawWebSocket(new WebSocket(url));
  }

  /** The engine.io session id, from the OPEN packet (once `open` has resolved). */
  get sid(): string {
    const open = this.received.find((packet) => packet.startsWith('0'));
    if (!open) throw new Error('no engine.io OPEN packet yet');
    return (JSON.parse(open.slice(1)) as { sid: string }).sid;
  }

  sendConnect(auth: Record<string, unknown>): void {
    this.socket.send(connectPacket(auth));
  }

  /** Resolves with the answer to CONNECT. */
  outcome(): Promise<ConnectOutcome> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const outcome = outcomeOf(this.received);
        if (!outcome) return;
        this.socket.off('message', check);
        this.socket.off('close', closed);
        resolve(outcome);
      };
      const closed = () => reject(new Error('the WebSocket closed before CONNECT was answered'));
      this.socket.on('message', check);
      this.socket.once('close', closed);
      check();
    });
  }

  /** Cuts the TCP connection, no close frame (a client that vanishes). */
  kill(): Promise<void> {
    this.socket.terminate();
    return this.closed;
  }

  /** A clean WebSocket close. */
  close(): Promise<void> {
    this.socket.close();
    return this.closed;
  }
}
