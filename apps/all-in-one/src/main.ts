import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { MemoryStream, StreamingModuleOptions, VolatileRedisError } from '@auren/streaming';
import { createGatewayApp } from '../../gateway/src/gateway.app';
import { startGrpcIngest } from '../../ingest/src/grpc/grpc-ingest.server';
import { createIngestApp } from '../../ingest/src/ingest.app';

/**
 * Ingest and gateway in one process, for a laptop. Without REDIS_URL both share an in-memory
 * stream; with it, each talks to Redis as the separate processes would.
 */
async function bootstrap(): Promise<void> {
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
  await gateway.listen(config.gatewayPort, config.host);
  await gateway.startAllMicroservices();
  await startGrpcIngest(ingest, config);
  await ingest.listen(config.ingestPort, config.host);
  logger.log(
    `AUREN Realtime is up: POST events to http://${config.host}:${config.ingestPort}/v1/events, watch them at http://${config.host}:${config.gatewayPort}/ (stream: ${config.stream.backend})`,
  );
}

bootstrap().catch((error: unknown) => {
  // A refused start (docs/durability.md) is one message and exit code 78, not a stack trace.
  if (error instanceof VolatileRedisError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(error.exitCode);
  }
  throw error;
});
