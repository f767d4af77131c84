/**
 * Writes apps/history/schema.graphql from the code-first resolvers (no database, no server):
 * `npm run graphql:schema`, which runs the compiled copy in dist/ (the resolvers' argument types
 * need the decorator metadata tsc emits and tsx does not). With `--check`, exits 1 when the committed file is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { GRAPHQL_RESOLVERS } from '../apps/history/src/graphql/resolvers';
import { printHistorySchema, schemaFile } from '../apps/history/src/graphql/schema-file';

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(GraphQLSchemaBuilderModule, {
    logger: false,
  });
  const schema = await app.get(GraphQLSchemaFactory).create(GRAPHQL_RESOLVERS);
  await app.close();
  const text = printHistorySchema(schema);
  // npm runs scripts from the repository root.
  const SCHEMA_FILE = schemaFile(process.cwd());
  if (process.argv.includes('--check')) {
    const current = readFileSync(SCHEMA_FILE, 'utf8');
    if (current !== text) {
      console.error(`${SCHEMA_FILE} is out of date: run npm run graphql:schema`);
      process.exit(1);
    }
    console.log(`${SCHEMA_FILE} is up to date`);
    return;
  }
  writeFileSync(SCHEMA_FILE, text);
  console.log(`wrote ${SCHEMA_FILE}`);
}

void main();
