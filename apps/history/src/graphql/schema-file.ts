import { join } from 'node:path';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

/** The committed copy of the schema, in the repository at `root`. */
export function schemaFile(root: string): string {
  return join(root, 'apps', 'history', 'schema.graphql');
}

/**
 * The schema as `apps/history/schema.graphql` holds it: sorted (as the module's `sortSchema`), with
 * a header. `npm run graphql:schema` writes it; a test fails when it differs from what the code
 * generates.
 */
export function printHistorySchema(schema: GraphQLSchema): string {
  return [
    '# The GraphQL schema of the history service (POST /graphql on HISTORY_PORT, docs/graphql.md).',
    '# Generated from the code-first resolvers in apps/history/src/graphql by `npm run graphql:schema`;',
    '# do not edit by hand.',
    '',
    printSchema(lexicographicSortSchema(schema)),
    '',
  ].join('\n');
}
