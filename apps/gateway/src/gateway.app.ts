import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AurenConfig, logLevels } from '@auren/config';
import { answerMethodNotAllowed, HttpErrorFilter } from '@auren/platform';
import { AlertTransportStrategy, StreamingModuleOptions } from '@auren/streaming';
import { AurenIoAdapter } from './connections/auren-io.adapter';
import { StreamReaders } from './delivery/stream-readers';
import { GatewayModule } from './gateway.module';

/**
 * Builds the gateway app: HTTP (page, health, metrics) and Socket.IO on one port, and the stream
 * readers (Redis, Kafka, or both) and the alerts log reader as connected microservices. Call `listen()` first, then `startAllMicroservices()`.
 */
export async function createGatewayApp(
  config: AurenConfig,
  streaming: StreamingModuleOptions = {},
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.forRoot(config, streaming),
    new FastifyAdapter(),
    {
      logger: logLevels(config.logLevel),
      // A failed init rejects (the entry point reports it) instead of aborting the process.
      abortOnError: false,
    },
  );
  app.useWebSocketAdapter(new AurenIoAdapter(app, config));
  app.useGlobalFilters(new HttpErrorFilter());
  // POST /health/live and the like: 405 with Allow, not 404.
  answerMethodNotAllowed(app.getHttpAdapter().getInstance());
  for (const reader of app.get(StreamReaders).all)
    app.connectMicroservice({ strategy: reader }, { inheritAppConfig: false });
  // The alerts log, read the same way (docs/gateway.md, "Alerts"); not part of readiness.
  app.connectMicroservice(
    { strategy: app.get(AlertTransportStrategy) },
    { inheritAppConfig: false },
  );
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('AUREN Realtime gateway (HTTP side)')
      .setDescription(
        'Summaries, health and metrics. The Socket.IO protocol is in docs/gateway.md.',
      )
      .setVersion('1')
      .addBearerAuth({
        type: 'http',
        scheme: 'bearer',
        description: 'JWT, or a test token in development',
      })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
