import { Inject, Injectable } from '@nestjs/common';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';

/** What `GET /dashboard/config.json` answers (docs/dashboard.md). */
export interface DashboardClientConfig {
  mode: 'development' | 'production';
  /** The history GraphQL endpoint for the look-back views; null: none known. */
  historyUrl: string | null;
  /** A development token the dashboard connects with by itself; always null in production. */
  testToken: string | null;
}

/** The token the dashboard uses in development mode (any `test…` token is accepted there). */
export const DASHBOARD_TEST_TOKEN = 'test-token-dashboard';

/**
 * Where the dashboard finds the history GraphQL API: `AUREN_DASHBOARD_HISTORY_URL`, or, in the
 * all-in-one process, the port its history listens on (set by the entry point once it listens),
 * on the host the browser used to reach the gateway (127.0.0.1 and localhost both work).
 */
@Injectable()
export class DashboardSettings {
  private historyPort?: number;

  constructor(@Inject(AUREN_CONFIG) private readonly config: AurenConfig) {}

  /** The all-in-one entry point: history listens on `port` of this same host. */
  useHistoryPort(port: number): void {
    this.historyPort = port;
  }

  /** The history GraphQL URL as seen from a browser that sent `Host: host` over `protocol`. */
  historyUrl(protocol: string, host: string | undefined): string | null {
    if (this.config.dashboard.historyUrl) return this.config.dashboard.historyUrl;
    if (this.historyPort === undefined || !host) return null;
    let hostname: string;
    try {
      hostname = new URL(`${protocol}://${host}`).hostname;
    } catch {
      return null;
    }
    return `${protocol}://${hostname}:${this.historyPort}/graphql`;
  }

  clientConfig(protocol: string, host: string | undefined): DashboardClientConfig {
    const production = this.config.production;
    return {
      mode: production ? 'production' : 'development',
      historyUrl: this.historyUrl(protocol, host),
      testToken: production ? null : DASHBOARD_TEST_TOKEN,
    };
  }
}
