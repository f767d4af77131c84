/** The history service's GraphQL API in a test: the app on a free port, and a small client. */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig, type AurenConfig } from '@auren/config';
import { createHistoryApp } from '../../apps/history/src/history.app';
import type { SqlDatabase } from '../../apps/history/src/store/sql-database';
import { freePort } from './ports';

export const GQL_SECRET = 'graphql-test-secret-of-at-least-32-characters';

/** History config for a test: quiet, a free HISTORY_PORT, the memory stream, HS256 tokens. */
export async function historyConfig(
  env: Record<string, string | undefined> = {},
): Promise<AurenConfig> {
  return loadConfig({
    AUREN_LOG_LEVEL: 'error',
    HISTORY_PORT: String(await freePort()),
    AUREN_STREAM_BACKEND: 'memory',
    AUREN_JWT_SECRET: GQL_SECRET,
    ...env,
  });
}

export interface GraphqlAnswer<T = Record<string, unknown>> {
  status: number;
  body: {
    data?: T | null;
    errors?: Array<{
      message: string;
      path?: string[];
      extensions: { code: string; argument?: string; [key: string]: unknown };
    }>;
  };
}

export interface HistoryApi {
  app: NestFastifyApplication;
  url: string;
  /** POST /graphql with `token` as a Bearer credential (none when undefined). */
  query<T = Record<string, unknown>>(
    query: string,
    options?: { token?: string; variables?: Record<string, unknown>; body?: unknown },
  ): Promise<GraphqlAnswer<T>>;
  close(): Promise<void>;
}

/** The history app in this process on `database` (already opened; the test closes it). */
export async function startHistoryApi(
  config: AurenConfig,
  database: SqlDatabase,
): Promise<HistoryApi> {
  const app = await createHistoryApp(config, { database });
  await app.listen(config.history.port, '127.0.0.1');
  const url = `http://127.0.0.1:${config.history.port}`;
  return {
    app,
    url,
    async query<T>(
      query: string,
      options: { token?: string; variables?: Record<string, unknown>; body?: unknown } = {},
    ): Promise<GraphqlAnswer<T>> {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        body: JSON.stringify(options.body ?? { query, variables: options.variables }),
      });
      const text = await response.text();
      let body: GraphqlAnswer<T>['body'];
      try {
        body = JSON.parse(text) as GraphqlAnswer<T>['body'];
      } catch {
        throw new Error(`not JSON (${response.status}): ${text.slice(0, 200)}`);
      }
      return { status: response.status, body };
    },
    close: () => app.close(),
  };
}
