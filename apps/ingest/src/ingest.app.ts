import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { EVENT_LIMITS } from '@auren/contracts';
import { AurenConfig, logLevels } from '@auren/config';
import { answerMethodNotAllowed, HttpErrorFilter } from '@auren/platform';
import type { StreamingModuleOptions } from '@auren/streaming';
import { useLightAsyncResourceBind } from './async-resource-bind';
import { serveIngestRoutesDirectly } from './events/fast-routes';
import { IngestMetrics } from './events/ingest-metrics';
import { connectGrpcIngest } from './grpc/grpc-ingest.server';
import { checkRedisDurability } from './durability-check';
import { IngestModule } from './ingest.module';
import { IngestAuthGuard } from './credentials/ingest-auth.guard';
import { useJsonBodyOnly } from './json-body';
import { completeIngestDocument } from './openapi';
import { registerOtlpBodyHandling } from './otlp/otlp-http';

/**
 * Builds the ingest app (not yet listening): Fastify, 1 MiB bodies, contract errors, /docs, and
 * gRPC ingest, which `startGrpcIngest(app, config)` starts (docs/grpc.md). Rejects with
 * `VolatileRedisError` in production mode on a Redis that would lose acknowledged events.
 */
export async function createIngestApp(
  config: AurenConfig,
  streaming: StreamingModuleOptions = {},
): Promise<NestFastifyApplication> {
  // Fastify binds an AsyncResource per request body; Node 20's bind is costly (see the file).
  useLightAsyncResourceBind();
  const adapter = new FastifyAdapter({ bodyLimit: EVENT_LIMITS.maxBodyBytes, trustProxy: true });
  const app = await NestFactory.create<NestFastifyApplication>(
    IngestModule.forRoot(config, streaming),
    adapter,
    {
      logger: logLevels(config.logLevel),
      bufferLogs: false,
      // A failed init rejects (the entry point reports it) instead of aborting the process.
      abortOnError: false,
    },
  );
  if (!streaming.shared) {
    // A volatile Redis in production mode is refused here (VolatileRedisError, docs/durability.md).
    await checkRedisDurability(config, app.get(Registry)).catch(async (error: unknown) => {
      await app.close();
      throw error;
    });
  }
  const metrics = app.get(IngestMetrics);
  app.useGlobalFilters(new HttpErrorFilter((reason) => metrics.reject(reason)));
  // Only JSON is an event (form and text bodies get 415); __proto__ keys get a 400 that names them.
  useJsonBodyOnly(app);
  // GET /v1/events and the like: 405 with Allow, not 404.
  answerMethodNotAllowed(app.getHttpAdapter().getInstance());
  // OTLP/HTTP on POST /v1/traces: protobuf, gzip and its own limits, on that route only.
  const guard = app.get(IngestAuthGuard);
  registerOtlpBodyHandling(app.getHttpAdapter().getInstance(), (request) =>
    guard.authenticate(request),
  );
  // POST /v1/events and /v1/events/batch skip Nest's router (docs/performance.md, P1).
  serveIngestRoutesDirectly(app);
  app.enableShutdownHooks();
  connectGrpcIngest(app, config);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('AUREN Realtime ingest')
      .setDescription(
        'Publish agent events into the AUREN stream. Wire contract: docs/contract.md.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key or JWT' })
      .build(),
  );
  completeIngestDocument(document, { production: config.production });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
