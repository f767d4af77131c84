import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AurenConfig, logLevels } from '@auren/config';
import { answerMethodNotAllowed, HttpErrorFilter } from '@auren/platform';
import { StreamingModuleOptions } from '@auren/streaming';
import { graphqlCorsOrigin } from './graphql/cors';
import { LeaderStreamTransport } from './alerts/leader-stream.transport';
import { HistoryModule } from './history.module';
import { runMigrations } from './store/migrations';
import {
  DatabaseRefusal,
  DeferredDatabase,
  openDatabase,
  redactUrl,
  SqlDatabase,
} from './store/sql-database';
import { SQL_DATABASE } from './store/store.module';
import { HistoryReaders } from './writer/history-readers';

/**
 * Opens the history database (DATABASE_URL, else the embedded engine in AUREN_HISTORY_DATA_DIR)
 * and brings its schema up to date; a failure is a {@link DatabaseRefusal} saying what to do.
 */
export async function openHistoryDatabase(
  config: AurenConfig,
  given?: SqlDatabase,
): Promise<SqlDatabase> {
  const db =
    given ??
    (await openDatabase({
      databaseUrl: config.history.databaseUrl,
      dataDir: config.history.dataDir,
    }).catch((error: unknown) => {
      if (error instanceof DatabaseRefusal) throw error;
      throw new DatabaseRefusal(
        `The history database cannot be opened (${(error as Error).message}): check AUREN_HISTORY_DATA_DIR or DATABASE_URL, then start again`,
        { cause: error },
      );
    }));
  let applied: number[];
  try {
    applied = await runMigrations(db);
  } catch (error) {
    if (!given) await db.close().catch(() => undefined);
    const reason = (error as Error).message || (error as { code?: string }).code || String(error);
    throw new DatabaseRefusal(
      `The history database ${db.where} cannot be used (${reason}): start it or fix DATABASE_URL, then start again`,
      { cause: error },
    );
  }
  const logger = new Logger('History');
  logger.log(
    `History database: ${db.engine} at ${db.where}${applied.length ? ` (migrations applied: ${applied.join(', ')})` : ''}`,
  );
  if (db.engine === 'postgres') {
    for (const warning of await durabilityWarnings(db)) logger.warn(warning);
  }
  return db;
}

/**
 * What the writers' guarantee depends on (docs/history.md, "Settings it relies on"): a batch is
 * acknowledged to the stream once committed, so a commit PostgreSQL may lose on a crash is an
 * event lost for good.
 */
export async function durabilityWarnings(db: SqlDatabase): Promise<string[]> {
  const warnings: string[] = [];
  const setting = async (name: string) =>
    (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];
  if ((await setting('synchronous_commit')) === 'off')
    warnings.push(
      'PostgreSQL has synchronous_commit = off: events acknowledged to the stream may be lost if PostgreSQL crashes. Set synchronous_commit = on for this database (ALTER DATABASE ... SET synchronous_commit = on).',
    );
  if ((await setting('fsync')) === 'off')
    warnings.push(
      'PostgreSQL has fsync = off: a host crash can lose or corrupt stored history. Turn fsync on outside tests.',
    );
  return warnings;
}

/**
 * Resolves once the app's database is open and migrated; rejects with a {@link DatabaseRefusal}.
 * Entry points await it after binding their ports.
 */
export async function historyDatabaseReady(app: NestFastifyApplication): Promise<void> {
  const db = app.get<SqlDatabase>(SQL_DATABASE);
  if (db instanceof DeferredDatabase) await db.ready;
}

/**
 * Builds the history app. Its database is opened in the background (the embedded engine takes
 * seconds): call `listen()`, `startAllMicroservices()`, then await {@link historyDatabaseReady}.
 * A database passed in `options.database` (tests) is migrated before this returns.
 */
export async function createHistoryApp(
  config: AurenConfig,
  options: {
    streaming?: StreamingModuleOptions;
    database?: SqlDatabase;
    /** Browser origins allowed besides AUREN_CORS_ORIGINS (the all-in-one gateway's). */
    dashboardOrigins?: string[];
  } = {},
): Promise<NestFastifyApplication> {
  const db = options.database
    ? await openHistoryDatabase(config, options.database)
    : new DeferredDatabase(
        openHistoryDatabase(config),
        config.history.databaseUrl ? redactUrl(config.history.databaseUrl) : config.history.dataDir,
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
  // The dashboard's look-back views call GraphQL from the gateway's origin (docs/dashboard.md).
  app.enableCors({
    origin: graphqlCorsOrigin(config, options.dashboardOrigins),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization'],
    maxAge: 600,
  });
  answerMethodNotAllowed(app.getHttpAdapter().getInstance());
  // The writers: a Redis or Kafka consumer group shared with the other replicas, or this
  // process's own reader of the memory stream (the all-in-one process: pass `streaming.shared`).
  for (const reader of app.get(HistoryReaders).all)
    app.connectMicroservice({ strategy: reader }, { inheritAppConfig: false });
  // The alert evaluator's reader: reads only while this replica leads (docs/alerts.md).
  if (config.alerts.enabled)
    app.connectMicroservice(
      { strategy: app.get(LeaderStreamTransport) },
      { inheritAppConfig: false },
    );
  app.enableShutdownHooks();
  return app;
}
