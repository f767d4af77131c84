import { Logger } from '@nestjs/common';
import type { ConnectErrorCode, ConnectErrorData } from '@auren/contracts';
import { AuthFailure, AuthResult, CredentialVerifier } from '@auren/auth';
import { parseHandshake } from './client-input';
import { ConnectionRegistry } from './connection-registry';
import { ConnectionState } from './connection-state';
import type { AurenSocket } from './socket-types';
import type { GatewayMetrics } from '../delivery/gateway-metrics';

type Next = (error?: Error) => void;

/**
 * Socket.IO middleware: authenticates the handshake (NestJS guards do not run there), parses the
 * connection options and takes a connection slot. A refusal reaches the client as `connect_error`
 * with `err.data = {code, message}`.
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
  const admit = (socket: AurenSocket, next: Next, principal: AuthResult): void => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    if (principal instanceof AuthFailure) return refuse(next, principal.code, principal.message);
    const options = parseHandshake(auth);
    if (!options.ok) return refuse(next, 'BAD_HANDSHAKE', options.message);
    const limit = registry.reserve(principal.userId);
    if (limit === 'SERVER_AT_CAPACITY') {
      const why = registry.isAdmitting ? 'is at capacity' : 'is shutting down';
      return refuse(next, limit, `this gateway ${why}; reconnect (to another pod) or retry later`);
    }
    if (limit) return refuse(next, limit, 'this user has reached its connection limit');
    socket.data.state = new ConnectionState(principal, options.value);
    // Verified: the token is not kept for the life of the connection (memory, and no secret lying around).
    auth.token = undefined;
    next();
  };
  return (socket, next) => {
    const auth = (socket.handshake.auth ?? {}) as Record<string, unknown>;
    // A plain value unless the token's key had to be fetched (JWKS); the hot path stays synchronous.
    const verified = verifier.verifyHandshake(auth.token);
    if (!(verified instanceof Promise)) return admit(socket, next, verified);
    verified.then(
      (principal) => admit(socket, next, principal),
      (error: unknown) => next(error instanceof Error ? error : new Error(String(error))),
    );
  };
}
