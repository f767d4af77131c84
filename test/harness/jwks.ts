/** A local identity provider's JWKS endpoint, over real HTTP, for JWKS tests (issue 10 §4). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { freePort } from './ports';
import type { TestKey } from './jwt';

export type JwksMode = 'serve' | 'down' | 'hang' | 'garbage';

export class JwksServer {
  /** Requests for the key set received so far. */
  requests = 0;
  /** `down`: answers 503; `hang`: never answers (a timeout); `garbage`: 200 with no JWKS. */
  mode: JwksMode = 'serve';
  private keys: TestKey[];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    keys: TestKey[],
  ) {
    this.keys = keys;
  }

  /** Serves `keys` at `http://127.0.0.1:<free port>/.well-known/jwks.json`. */
  static async start(keys: TestKey[]): Promise<JwksServer> {
    const port = await freePort();
    const server = createServer();
    const self = new JwksServer(server, `http://127.0.0.1:${port}/.well-known/jwks.json`, keys);
    server.on('request', (request: IncomingMessage, response: ServerResponse) =>
      self.handle(request, response),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return self;
  }

  /** Publishes `keys` instead of the current set (an identity provider rotating its keys). */
  rotate(keys: TestKey[]): void {
    this.keys = keys;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    this.requests += 1;
    if (this.mode === 'hang') {
      this.hanging.add(response);
      response.on('close', () => this.hanging.delete(response));
      return;
    }
    if (this.mode === 'down') {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('identity provider down');
      return;
    }
    const body =
      this.mode === 'garbage'
        ? '<html>login page</html>'
        : JSON.stringify({ keys: this.keys.map((k) => k.jwk) });
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  }
}
