import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { createGatewayApp } from './gateway.app';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createGatewayApp(config);
  await app.listen(config.gatewayPort, config.host);
  await app.startAllMicroservices();
  new Logger('Gateway').log(
    `Gateway listening on http://${config.host}:${config.gatewayPort} (page at /, Socket.IO at /socket.io, stream: ${config.stream.backend})`,
  );
}

void bootstrap();
