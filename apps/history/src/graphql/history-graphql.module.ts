import { Logger, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, MercuriusDriverConfig } from '@nestjs/mercurius';
import type { FastifyRequest } from 'fastify';
import { CredentialVerifier } from '@auren/auth';
import { AUREN_CONFIG, AurenConfig } from '@auren/config';
import { DEFAULT_LIMITS, HistoryQueries } from '../queries';
import { AlertStore } from '../alerts/alert-store';
import { SQL_DATABASE } from '../store/store.module';
import type { SqlDatabase } from '../store/sql-database';
import { AlertRulesApi } from './alert-rules-api';
import { AlertSilencesApi } from './alert-silences-api';
import { AlertsApi } from './alerts-api';
import { createErrorFormatter } from './graphql-errors';
import { allowListProvider, loadPersistedQueries } from './persisted-queries';
import { queryCostRule } from './query-cost.rule';
import { GRAPHQL_RESOLVERS } from './resolvers';
import { graphqlContext } from './viewer';

/** The alert store of the API (the pool; the evaluator has its own on its held connection). */
const API_ALERT_STORE = Symbol('API_ALERT_STORE');

/** `POST /graphql` on the history app's Fastify (docs/graphql.md). */
export const GRAPHQL_PATH = '/graphql';

/**
 * The GraphQL query API: code-first schema (`apps/history/schema.graphql` is its printed copy,
 * checked by a test), the Mercurius driver on the app's Fastify, GraphiQL at `/graphiql` outside
 * production, depth and cost limits, an optional operation allow-list.
 */
@Module({
  imports: [
    GraphQLModule.forRootAsync<MercuriusDriverConfig>({
      driver: MercuriusDriver,
      inject: [AUREN_CONFIG, CredentialVerifier],
      useFactory: (config: AurenConfig, verifier: CredentialVerifier): MercuriusDriverConfig => {
        const limits = config.graphql;
        let persistedQueryProvider: MercuriusDriverConfig['persistedQueryProvider'];
        if (limits.persistedQueriesFile) {
          const queries = loadPersistedQueries(
            limits.persistedQueriesFile,
            'AUREN_GRAPHQL_PERSISTED_QUERIES',
          );
          persistedQueryProvider = allowListProvider(queries, limits.onlyPersisted) as never;
          new Logger('GraphQL').log(
            `${queries.size} persisted operations${limits.onlyPersisted ? ' (only these run)' : ''}`,
          );
        }
        return {
          autoSchemaFile: true,
          sortSchema: true,
          path: GRAPHQL_PATH,
          graphiql: !config.production,
          context: (request: FastifyRequest) =>
            graphqlContext(verifier, request.headers.authorization),
          errorFormatter: createErrorFormatter(),
          validationRules: [
            queryCostRule({
              maxDepth: limits.maxDepth,
              maxComplexity: limits.maxComplexity,
              maxPageSize: limits.maxPageSize,
            }),
          ],
          persistedQueryProvider,
        };
      },
    }),
  ],
  providers: [
    {
      provide: HistoryQueries,
      inject: [SQL_DATABASE, AUREN_CONFIG],
      useFactory: (db: SqlDatabase, config: AurenConfig) =>
        new HistoryQueries(db, {
          ...DEFAULT_LIMITS,
          maxPageSize: config.graphql.maxPageSize,
          statementTimeoutMs: config.graphql.statementTimeoutMs,
        }),
    },
    {
      provide: API_ALERT_STORE,
      inject: [SQL_DATABASE],
      useFactory: (db: SqlDatabase) => new AlertStore(db),
    },
    {
      provide: AlertRulesApi,
      inject: [API_ALERT_STORE, AUREN_CONFIG],
      useFactory: (store: AlertStore, config: AurenConfig) =>
        new AlertRulesApi(store, { webhookAllowPrivate: config.alerts.webhookAllowPrivate }),
    },
    {
      provide: AlertsApi,
      inject: [API_ALERT_STORE, SQL_DATABASE, AUREN_CONFIG],
      useFactory: (store: AlertStore, db: SqlDatabase, config: AurenConfig) =>
        new AlertsApi(store, db, {
          maxPageSize: config.graphql.maxPageSize,
          webhookAllowPrivate: config.alerts.webhookAllowPrivate,
        }),
    },
    {
      provide: AlertSilencesApi,
      inject: [API_ALERT_STORE, AlertRulesApi],
      useFactory: (store: AlertStore, rules: AlertRulesApi) => new AlertSilencesApi(store, rules),
    },
    ...GRAPHQL_RESOLVERS,
  ],
  exports: [HistoryQueries],
})
export class HistoryGraphqlModule {}
