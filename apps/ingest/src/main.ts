import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { listenOn, runStartup, serveMetrics } from '@auren/platform';
import { startGrpcIngest } from './grpc/grpc-ingest.server';
import { createIngestApp } from './ingest.app';

/**
 * A port in use ends the start with one line naming the variable and exit code 69; a volatile
 * Redis in production with its message and 78 (docs/troubleshooting.md, docs/durability.md).
 */
void runStartup(async () => {
  const config = loadConfigOrExit();
  const app = await createIngestApp(config);
  await startGrpcIngest(app, config);
  await listenOn({ variable: 'INGEST_PORT', port: config.ingestPort, host: config.host }, () =>
    app.listen(config.ingestPort, config.host),
  );
  await serveMetrics(config, [app]);
  if (config.stream.backend === 'memory') {
    new Logger('Streaming').warn(
      'No REDIS_URL: this process uses its own in-memory stream, which no other process can see. Set REDIS_URL to connect separate ingest and gateway processes, or run both in one process with `npm start`.',
    );
  }
  new Logger('Ingest').log(
    `Ingest listening on http://${config.host}:${config.ingestPort} (stream: ${config.stream.backend}, ${config.production ? 'production' : 'development'} mode)`,
  );
});
