import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@auren/auth';
import { AUREN_CONFIG, AurenConfig, AurenConfigModule } from '@auren/config';
import { HealthModule, MetricsModule } from '@auren/platform';
import { StreamingModule, StreamingModuleOptions } from '@auren/streaming';
import { AlertsModule } from './alerts/alerts.module';
import { HistoryGraphqlModule } from './graphql/history-graphql.module';
import { HistoryStoreModule, SQL_DATABASE } from './store/store.module';
import { DeferredDatabase, type SqlDatabase } from './store/sql-database';
import { HistoryReaders } from './writer/history-readers';
import { WriterModule } from './writer/writer.module';

/**
 * The history service: writers that copy the stream into the database (shared work: a consumer
 * group), the GraphQL query API over it, alert rules evaluated on the live stream (one replica
 * at a time), with health and metrics.
 */
@Module({})
export class HistoryModule {
  static forRoot(
    config: AurenConfig,
    database: SqlDatabase,
    options: { streaming?: StreamingModuleOptions; ownsDatabase?: boolean } = {},
  ): DynamicModule {
    return {
      module: HistoryModule,
      imports: [
        AurenConfigModule.forRoot(config),
        StreamingModule.forRoot(options.streaming ?? {}),
        HistoryStoreModule.forRoot(database, { owned: options.ownsDatabase ?? true }),
        AuthModule,
        HistoryGraphqlModule,
        MetricsModule,
        WriterModule,
        AlertsModule,
        HealthModule.forRoot({
          imports: [WriterModule],
          inject: [SQL_DATABASE, HistoryReaders, AUREN_CONFIG],
          useFactory: (db: SqlDatabase, readers: HistoryReaders, cfg: AurenConfig) => ({
            database: async () => {
              if (db instanceof DeferredDatabase && !db.opened)
                throw new Error('opening the database');
              await db.query('SELECT 1');
            },
            // The stream unreachable, or more than AUREN_HISTORY_MAX_LAG events not written yet.
            writer: async () => {
              const problem = await readers.problem(cfg.history.maxLag);
              if (problem) throw new Error(problem);
            },
          }),
        }),
      ],
    };
  }
}
