import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@auren/contracts';
import type { ConnectionState } from './connection-state';

export interface SocketData {
  state: ConnectionState;
}

/** Socket.IO server and socket typed against the contract's event maps. */
export type AurenServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type AurenSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
