/**
 * The embedded engine answers the history's queries as PostgreSQL does: the same events written to
 * PGlite (in a child process, see history-graphql-pglite-child.ts) and to a real PostgreSQL, every
 * query of HistoryQueries run on both for two viewers and the answers compared; then the history
 * process (dist/, no DATABASE_URL: PGlite in its data folder, as `npm start` runs it) serves the
 * GraphQL API from that folder over HTTP.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HistoryQueries } from '../../apps/history/src/queries';
import { PartitionKeeper, writeEvents } from '../../apps/history/src/store/event-writer';
import { runMigrations } from '../../apps/history/src/store/migrations';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { historyDataset, TOKENS } from '../fixtures/history-dataset';
import { AppProcess } from '../harness/apps';
import { GQL_SECRET } from '../harness/graphql';
import { freePort } from '../harness/ports';
import { createDatabase } from '../harness/postgres';
import { ALICE, answers, QUERY_VIEWERS } from './history-graphql-pglite-child';

const now = Date.now();
const { from, to, events } = historyDataset(now);
const dataDir = mkdtempSync(join(tmpdir(), 'auren-gql-pglite-'));

let pg: PostgresDatabase;
let onPglite: Record<string, unknown>;

beforeAll(async () => {
  pg = new PostgresDatabase(await createDatabase('gqllite'));
  await runMigrations(pg);
  await writeEvents(pg, new PartitionKeeper(), events, 30);
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'history-graphql-pglite-child.ts'), String(now), dataDir],
    { cwd: join(__dirname, '..', '..'), maxBuffer: 64 * 1024 * 1024 },
  );
  onPglite = JSON.parse(stdout) as Record<string, unknown>;
  // PGlite in a folder, a tsx child: about 20 s on a busy 2-core machine.
}, 90_000);

afterAll(async () => {
  await pg?.close();
});

describe('PGlite and PostgreSQL', () => {
  it.each(Object.keys(QUERY_VIEWERS))(
    'answer every query alike for the viewer %s',
    async (name) => {
      const onPostgres = await answers(pg, QUERY_VIEWERS[name], from, to);
      expect(onPglite[name]).toEqual(onPostgres);
      // Not vacuous: the answers hold rows.
      const a = onPostgres as {
        pages: Array<{ edges: unknown[] }>;
        agents: unknown[];
        costs: { rows: unknown[] };
        trace: { nodes: unknown[] };
      };
      expect(a.pages[0].edges).toHaveLength(200);
      expect(a.agents.length).toBeGreaterThan(0);
      expect(a.costs.rows.length).toBeGreaterThan(0);
      expect(a.trace.nodes.length).toBeGreaterThan(0);
    },
  );

  it('the history process serves the GraphQL API from the PGlite folder', async () => {
    const port = await freePort();
    const history = AppProcess.spawn('history', {
      HISTORY_PORT: String(port),
      AUREN_HISTORY_DATA_DIR: dataDir,
      AUREN_JWT_SECRET: GQL_SECRET,
      AUREN_STREAM_BACKEND: 'memory',
    });
    try {
      await history.ready(`http://127.0.0.1:${port}/health/live`);
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.alice}` },
        body: JSON.stringify({
          query:
            'query A($from: DateTime, $to: DateTime) { agents(from: $from, to: $to) { agent events cost } }',
          variables: { from, to },
        }),
      });
      const body = (await response.json()) as {
        data: { agents: Array<{ agent: string; events: number; cost: number }> };
      };
      const direct = await new HistoryQueries(pg).agents(ALICE, {
        from: new Date(from),
        to: new Date(to),
      });
      expect(body.data.agents.map((a) => [a.agent, a.events])).toEqual(
        direct.map((a) => [a.agent, a.events]),
      );
      expect(history.text).toContain('pglite');
    } finally {
      await history.stop();
    }
  });
});
