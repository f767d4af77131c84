import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AurenConfig, logLevels } from '@auren/config';
import { answerMethodNotAllowed, HttpErrorFilter } from '@auren/platform';
import { StreamingModuleOptions } from '@auren/streaming';
import { HistoryModule } from './history.module';
import { runMigrations } from './store/migrations';
import { openDatabase, SqlDatabase } from './store/sql-database';

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
  const applied = await runMigrations(db);
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
  app.enableShutdownHooks();
  return app;
}
