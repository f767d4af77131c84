import { io, Socket } from 'socket.io-client';
import type {
  AlertMessage,
  ClientToServerEvents,
  ConnectErrorData,
  ConnectionEstablishedMessage,
  HandshakeAuth,
  ServerToClientEvents,
  StreamedEvent,
} from '@auren/contracts';
import { waitFor } from './wait';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface ConnectedClient {
  socket: Client;
  established: ConnectionEstablishedMessage;
  /** Every event received (`stream_event`, or each of a `stream_events`), in order. */
  events: StreamedEvent[];
  /** The size of each `stream_events` message received (`delivery: 'batch'`), in order. */
  batches: number[];
  /** Waits until at least `count` events arrived. */
  waitForEvents(count: number, timeoutMs?: number): Promise<StreamedEvent[]>;
  /** Every alert_fired / alert_resolved received, in order. */
  alerts: AlertMessage[];
  /** Waits until at least `count` alert messages arrived. */
  waitForAlerts(count: number, timeoutMs?: number): Promise<AlertMessage[]>;
  close(): void;
}

/** Connects a real socket.io-client; resolves on `connection_established`, rejects with `connect_error` data. */
export function connectClient(
  url: string,
  auth: HandshakeAuth,
  transports: string[] = ['websocket'],
): Promise<ConnectedClient> {
  const socket: Client = io(url, {
    auth: { ...auth },
    transports,
    reconnection: false,
    forceNew: true,
  });
  const events: StreamedEvent[] = [];
  socket.on('stream_event', (message) => events.push(message.event));
  const batches: number[] = [];
  socket.on('stream_events', (message) => {
    batches.push(message.events.length);
    events.push(...message.events);
  });
  const alerts: AlertMessage[] = [];
  socket.on('alert_fired', (message) => alerts.push(message));
  socket.on('alert_resolved', (message) => alerts.push(message));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no connection_established from ${url} within 10 s`));
    }, 10_000);
    socket.once('connect_error', (error: Error & { data?: ConnectErrorData }) => {
      clearTimeout(timer);
      socket.close();
      reject(Object.assign(new Error(error.message), { data: error.data }));
    });
    socket.once('connection_established', (established) => {
      clearTimeout(timer);
      resolve({
        socket,
        established,
        events,
        batches,
        waitForEvents: (count, timeoutMs = 10_000) =>
          waitFor(() => events.length >= count && events, {
            timeoutMs,
            what: `${count} events (have ${events.length})`,
          }),
        alerts,
        waitForAlerts: (count, timeoutMs = 10_000) =>
          waitFor(() => alerts.length >= count && alerts, {
            timeoutMs,
            what: `${count} alert messages (have ${alerts.length})`,
          }),
        close: () => socket.close(),
      });
    });
  });
}

/** The `connect_error` data of a handshake expected to fail. */
export async function refusal(url: string, auth: HandshakeAuth): Promise<ConnectErrorData> {
  try {
    const client = await connectClient(url, auth);
    client.close();
  } catch (error) {
    const data = (error as { data?: ConnectErrorData }).data;
    if (data) return data;
    throw error;
  }
  throw new Error('the handshake was accepted');
}

/** The TCP socket under a socket.io-client's websocket: pause it to stop reading (a slow client). */
export function tcpOf(client: ConnectedClient): { pause(): void; resume(): void } {
  const transport = client.socket.io.engine.transport as unknown as {
    ws?: { _socket?: { pause(): void; resume(): void } };
  };
  const tcp = transport.ws?._socket;
  if (!tcp) throw new Error('expected a websocket transport with a TCP socket');
  return tcp;
}
