import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { ListenError, listenOn, runStartup, serveMetrics } from '@auren/platform';
import { MemoryStream, StreamingModuleOptions } from '@auren/streaming';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { startGrpcIngest } from '../../ingest/src/grpc/grpc-ingest.server';
import { createIngestApp } from '../../ingest/src/ingest.app';

/**
 * Ingest and gateway in one process, for a laptop. Without REDIS_URL both share an in-memory
 * stream; with it, each talks to Redis as the separate processes would. HTTP ingest and the
 * gateway are needed (a port in use: one line, exit 69); gRPC is an optional door: when its port
 * is taken the quick start says so and runs without it.
 */
void runStartup(async (startup) => {
  const config = loadConfigOrExit();
  const logger = new Logger('AllInOne');
  const streaming: StreamingModuleOptions = {};
  if (config.stream.backend === 'memory') {
    streaming.shared = new MemoryStream(
      config.stream.memoryMaxLen,
      config.stream.dedupeWindowSeconds * 1000,
    );
    logger.warn(
      `Using the in-memory stream (no REDIS_URL): events live in this process only and are lost when it stops. Set REDIS_URL=redis://127.0.0.1:6379 for a durable stream.`,
    );
  }
  const ingest = await createIngestApp(config, streaming);
  const gateway = await createGatewayApp(config, streaming);
  await listenOn({ variable: 'GATEWAY_PORT', port: config.gatewayPort, host: config.host }, () =>
    gateway.listen(config.gatewayPort, config.host),
  );
  await gateway.startAllMicroservices();
  await listenOn({ variable: 'INGEST_PORT', port: config.ingestPort, host: config.host }, () =>
    ingest.listen(config.ingestPort, config.host),
  );
  let grpc = 'gRPC ingest off';
  try {
    await startGrpcIngest(ingest, config);
    if (config.grpcEnabled) grpc = 'gRPC ingest on';
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    // grpc-js's own line about the failed bind says less than this one.
    startup.forget('No address added');
    logger.warn(
      `${error.message}. Running without gRPC ingest; HTTP ingest and the gateway are up.`,
    );
  }
  await serveMetrics(config, [ingest, gateway]);
  logger.log(
    `AUREN Realtime is up: POST events to http://${config.host}:${config.ingestPort}/v1/events, watch them at http://${config.host}:${config.gatewayPort}/ (stream: ${config.stream.backend}, ${grpc})`,
  );
});
