import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { listenOn, runStartup, serveMetrics } from '@auren/platform';
import { createGatewayApp } from './gateway.app';

/** A port in use ends the start with one line naming the variable and exit code 69. */
void runStartup(async () => {
  const config = loadConfigOrExit();
  const app = await createGatewayApp(config);
  await listenOn({ variable: 'GATEWAY_PORT', port: config.gatewayPort, host: config.host }, () =>
    app.listen(config.gatewayPort, config.host),
  );
  await serveMetrics(config, [app]);
  await app.startAllMicroservices();
  if (config.stream.backend === 'memory') {
    new Logger('Streaming').warn(
      'No REDIS_URL: this process uses its own in-memory stream, which no other process can see. Set REDIS_URL to connect separate ingest and gateway processes, or run both in one process with `npm start`.',
    );
  }
  new Logger('Gateway').log(
    `Gateway listening on http://${config.host}:${config.gatewayPort} (page at /, Socket.IO at /socket.io, stream: ${config.stream.backend})`,
  );
});
