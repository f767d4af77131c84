/**
 * The Origin allow-list of Socket.IO handshakes (AUREN_CORS_ORIGINS), applied by engine.io's
 * `allowRequest` to the first request of every session, long-polling or WebSocket. Pure.
 *
 * - an empty list allows every origin (no allow-list);
 * - a request without `Origin` is not from a browser page (Node, Python, curl): allowed, the token
 *   is its access control; browsers always send `Origin` on WebSocket handshakes;
 * - the gateway's own origin (the live page it serves: `Origin` host equal to `Host`) is allowed.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (allowed.length === 0 || origin === undefined || origin === '') return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}
