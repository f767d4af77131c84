import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { PartitionKeeper } from './event-writer';
import type { SqlDatabase } from './sql-database';

export const SQL_DATABASE = Symbol('SQL_DATABASE');

/** Closes the database when the app stops, if the app opened it. */
class DatabaseCloser implements OnApplicationShutdown {
  constructor(
    @Inject(SQL_DATABASE) private readonly db: SqlDatabase,
    private readonly owned: boolean,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.db.close();
  }
}

/**
 * The history's database (already migrated) for every module of the app: {@link SQL_DATABASE},
 * and the {@link PartitionKeeper} the writers share.
 */
@Global()
@Module({})
export class HistoryStoreModule {
  static forRoot(db: SqlDatabase, options: { owned: boolean }): DynamicModule {
    return {
      module: HistoryStoreModule,
      providers: [
        { provide: SQL_DATABASE, useValue: db },
        { provide: PartitionKeeper, useValue: new PartitionKeeper() },
        {
          provide: DatabaseCloser,
          useFactory: () => new DatabaseCloser(db, options.owned),
        },
      ],
      exports: [SQL_DATABASE, PartitionKeeper],
    };
  }
}
