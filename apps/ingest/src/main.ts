import { Logger } from '@nestjs/common';
import { loadConfigOrExit } from '@auren/config';
import { VolatileRedisError } from '@auren/streaming';
import { startGrpcIngest } from './grpc/grpc-ingest.server';
import { createIngestApp } from './ingest.app';

async function bootstrap(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createIngestApp(config);
  await startGrpcIngest(app, config);
  await app.listen(config.ingestPort, config.host);
  if (config.stream.backend === 'memory') {
    new Logger('Streaming').warn(
      'No REDIS_URL: this process uses its own in-memory stream, which no other process can see. Set REDIS_URL to connect separate ingest and gateway processes, or run both in one process with `npm start`.',
    );
  }
  new Logger('Ingest').log(
    `Ingest listening on http://${config.host}:${config.ingestPort} (stream: ${config.stream.backend}, ${config.production ? 'production' : 'development'} mode)`,
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
