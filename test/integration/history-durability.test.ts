/**
 * The history's start-up check of the PostgreSQL settings its guarantee relies on
 * (docs/history.md): a commit must survive a crash, since the stream forgets what was acknowledged.
 */
import { durabilityWarnings } from '../../apps/history/src/history.app';
import { PostgresDatabase } from '../../apps/history/src/store/sql-database';
import { createDatabase } from '../harness/postgres';

describe('history: PostgreSQL durability settings at start', () => {
  let url: string;
  beforeAll(async () => {
    url = await createDatabase('durability');
  });

  it('names synchronous_commit = off and fsync = off, and says what to do', async () => {
    const admin = new PostgresDatabase(url);
    const name = new URL(url).pathname.slice(1);
    await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
    await admin.close();

    // The harness's own server runs with fsync = off (tests only); a DATABASE_URL given to the
    // tests may not.
    const db = new PostgresDatabase(url);
    try {
      const fsync = (await db.query<{ fsync: string }>('SHOW fsync')).rows[0].fsync;
      const warnings = await durabilityWarnings(db);
      expect(warnings).toEqual([
        expect.stringContaining('synchronous_commit = off'),
        ...(fsync === 'off' ? [expect.stringContaining('fsync = off')] : []),
      ]);
      expect(warnings[0]).toContain('Set synchronous_commit = on');
    } finally {
      await db.close();
    }
  });

  it('says nothing of synchronous_commit when it is on', async () => {
    const db = new PostgresDatabase(await createDatabase('durability'));
    try {
      const warnings = await durabilityWarnings(db);
      expect(warnings.some((w) => w.includes('synchronous_commit'))).toBe(false);
    } finally {
      await db.close();
    }
  });
});
