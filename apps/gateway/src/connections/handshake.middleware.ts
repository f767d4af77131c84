import { Logger } from '@nestjs/common';
import type { ConnectErrorCode, ConnectErrorData } from '@auren/contracts';
import { AuthFailure, AuthResult, CredentialVerifier } from '@auren/auth';
import { parseHandshake } from './client-input';
import { ConnectionRegistry, Slot } from './connection-registry';
import { ConnectionState } from './connection-state';
import type { AurenSocket } from './socket-types';
import type { GatewayMetrics } from '../delivery/gateway-metrics';

type Next = (error?: Error) => void;

/**
 * Socket.IO middleware: authenticates the handshake (NestJS guards do not run there), parses the
 * connection options and takes a connection slot. A refusal reaches the client as `connect_error`
 * with `err.data = {code, message}`.
 *
 * The slot is taken last, after every await, and only while the engine.io transport is still
 * open; it is then tied to the transport's `close` and the socket's `disconnect` (see `Slot`), and
 * given back at once if Socket.IO does not keep the socket, so it is released on every path,
 * including a transport that closes before `connection` runs.
 */
export function handshakeMiddleware(
  verifier: CredentialVerifier,
  registry: ConnectionRegistry,
  metrics: GatewayMetrics,
): (socket: AurenSocket, next: Next) => void {
  const logger = new Logger('Handshake');
  const refuse = (next: Next, code: ConnectErrorCode, message: string): void => {
    metrics.connectionsRefused.inc({ code });
    logger.debug(`refused: ${code} (${message})`);
    const error = new Error(message) as Error & { data: ConnectErrorData };
    error.data = { code, message };
    next(error);
  };
  /** The verifier failed (threw, or its promise rejected): refused, retry later, nothing held. */
  const unverifiable = (next: Next, error: unknown): void => {
    logger.error(`credential verification failed: ${(error as Error)?.message ?? String(error)}`);
    refuse(
      next,
      'SERVER_AT_CAPACITY',
      'this gateway cannot verify credentials right now; retry later',
    );
  };

  const admit = (socket: AurenSocket, next: Next, principal: AuthResult): void => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    if (principal instanceof AuthFailure) return refuse(next, principal.code, principal.message);
    const options = parseHandshake(auth);
    if (!options.ok) return refuse(next, 'BAD_HANDSHAKE', options.message);
    const state = new ConnectionState(principal, options.value);
    if (socket.conn.readyState !== 'open') {
      // The client went away while we verified: Socket.IO will drop this socket; take nothing.
      metrics.handshakesAbandoned.inc();
      return next(new Error('the transport closed during the handshake'));
    }
    const slot: Slot | ConnectErrorCode = registry.reserve(principal.userId);
    if (slot === 'SERVER_AT_CAPACITY') {
      const why = registry.isAdmitting ? 'is at capacity' : 'is shutting down';
      return refuse(next, slot, `this gateway ${why}; reconnect (to another pod) or retry later`);
    }
    if (slot === 'USER_CONNECTION_LIMIT')
      return refuse(next, slot, 'this user has reached its connection limit');
    if (typeof slot === 'string') return refuse(next, slot, 'refused');
    slot.tieTo(socket);
    socket.data.state = state;
    // Verified: the token is not kept for the life of the connection (memory, and no secret lying around).
    auth.token = undefined;
    next();
    // Socket.IO connects the socket, or drops it if its transport is closing (then without
    // `disconnect`; a closing polling transport may wait up to 30 s before its `close`), in a
    // process.nextTick after next(): by setImmediate it has done one or the other.
    setImmediate(() => {
      if (!socket.connected) slot.release();
    });
  };

  return (socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    // A plain value unless the token's key had to be fetched (JWKS); the hot path stays synchronous.
    let verified: ReturnType<CredentialVerifier['verifyHandshake']>;
    try {
      verified = verifier.verifyHandshake(auth.token);
    } catch (error) {
      return unverifiable(next, error);
    }
    if (!(verified instanceof Promise)) return admit(socket, next, verified);
    // Asynchronous: the transport may close meanwhile (admit checks it before taking a slot).
    verified.then(
      (principal) => admit(socket, next, principal),
      (error: unknown) => unverifiable(next, error),
    );
  };
}
