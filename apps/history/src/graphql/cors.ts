import type { AurenConfig } from '@auren/config';

/**
 * Which browser origins may call the GraphQL API (the dashboard's look-back views run on the
 * gateway's origin): the origins of `AUREN_CORS_ORIGINS` plus `dashboardOrigins` (the all-in-one
 * process passes its gateway's). With `AUREN_CORS_ORIGINS` empty, development mode allows every
 * origin; production only `dashboardOrigins`. Credentials are bearer tokens, never cookies, so
 * CORS only decides which pages may read the answers.
 */
export function graphqlCorsOrigin(
  config: AurenConfig,
  dashboardOrigins: readonly string[] = [],
): (origin: string | undefined, callback: (error: Error | null, allow: boolean) => void) => void {
  const allowed = new Set([...config.corsOrigins, ...dashboardOrigins]);
  const anyOrigin = config.corsOrigins.length === 0 && !config.production;
  return (origin, callback) => callback(null, !!origin && (anyOrigin || allowed.has(origin)));
}

/** The origins a browser uses for a gateway listening on `host:port`. */
export function gatewayOrigins(host: string, port: number): string[] {
  const hosts = new Set(['127.0.0.1', 'localhost']);
  if (!['0.0.0.0', '::', ''].includes(host)) hosts.add(host.includes(':') ? `[${host}]` : host);
  return [...hosts].map((name) => `http://${name}:${port}`);
}
