import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AurenConfig, logLevels } from '@auren/config';
import { answerMethodNotAllowed, HttpErrorFilter } from '@auren/platform';
import { StreamingModuleOptions } from '@auren/streaming';
import { HistoryModule } from './history.module';
import { runMigrations } from './store/migrations';
import { DatabaseRefusal, openDatabase, SqlDatabase } from './store/sql-database';
import { HistoryReaders } from './writer/history-readers';

/**
 * Opens the history database (DATABASE_URL, else the embedded engine in AUREN_HISTORY_DATA_DIR),
 * brings its schema up to date, and builds the app. Call `listen()`, then `startAllMicroservices()`.
 */
export async function createHistoryApp(
  config: AurenConfig,
  options: { streaming?: StreamingModuleOptions; database?: SqlDatabase } = {},
): Promise<NestFastifyApplication> {
  const logger = new Logger('History');
  const db =
    options.database ??
    (await openDatabase({
      databaseUrl: config.history.databaseUrl,
      dataDir: config.history.dataDir,
    }));
  let applied: number[];
  try {
    applied = await runMigrations(db);
  } catch (error) {
    if (!options.database) await db.close().catch(() => undefined);
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new DatabaseRefusal(
      `The history database ${db.where} cannot be used (${reason}): start it or fix DATABASE_URL, then start again`,
      { cause: error },
    );
  }
  logger.log(
    `History database: ${db.engine} at ${db.where}${applied.length ? ` (migrations applied: ${applied.join(', ')})` : ''}`,
  );
  const app = await NestFactory.create<NestFastifyApplication>(
    HistoryModule.forRoot(config, db, {
      streaming: options.streaming,
      ownsDatabase: !options.database,
    }),
    new FastifyAdapter(),
    { logger: logLevels(config.logLevel), abortOnError: false },
  );
  app.useGlobalFilters(new HttpErrorFilter());
  answerMethodNotAllowed(app.getHttpAdapter().getInstance());
  // The writers: a Redis or Kafka consumer group shared with the other replicas, or this
  // process's own reader of the memory stream (the all-in-one process: pass `streaming.shared`).
  for (const reader of app.get(HistoryReaders).all)
    app.connectMicroservice({ strategy: reader }, { inheritAppConfig: false });
  app.enableShutdownHooks();
  return app;
}
