import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { listenOn, runStartup, serveMetrics } from '@auren/platform';
import { createHistoryApp, historyDatabaseReady } from './history.app';

/** The history service on HISTORY_PORT: stream → database writers and the GraphQL API. */
void runStartup(async () => {
  const config = loadConfigOrExit();
  const app = await createHistoryApp(config);
  await listenOn({ variable: 'HISTORY_PORT', port: config.history.port, host: config.host }, () =>
    app.listen(config.history.port, config.host),
  );
  await serveMetrics(config, [app]);
  await app.startAllMicroservices();
  await historyDatabaseReady(app);
  const { port } = app.getHttpServer().address() as AddressInfo;
  new Logger('History').log(
    `History service listening on http://${config.host}:${port} (GraphQL at /graphql, stream: ${config.stream.backend})`,
  );
});
