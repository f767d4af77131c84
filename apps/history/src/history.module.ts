import { DynamicModule, Module } from '@nestjs/common';
import { AuthModule } from '@auren/auth';
import { AurenConfig, AurenConfigModule } from '@auren/config';
import { HealthModule, MetricsModule } from '@auren/platform';
import { StreamingModule, StreamingModuleOptions } from '@auren/streaming';
import { HistoryStoreModule, SQL_DATABASE } from './store/store.module';
import type { SqlDatabase } from './store/sql-database';

/**
 * The history service: writers that copy the stream into the database (shared work: a consumer
 * group), and the GraphQL query API over it, with health and metrics.
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
        MetricsModule,
        HealthModule.forRoot({
          inject: [SQL_DATABASE],
          useFactory: (db: SqlDatabase) => ({
            database: async () => {
              await db.query('SELECT 1');
            },
          }),
        }),
      ],
    };
  }
}
