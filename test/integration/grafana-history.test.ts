/**
 * deploy/grafana/dashboards/history.json against a real PostgreSQL holding generated history:
 * every panel query and template variable query, with Grafana's PostgreSQL macros and template
 * variables expanded as Grafana does (the subset the dashboard uses, below), returns rows whose
 * columns are what the panel type reads. Also: every query goes through the uid-referenced
 * data source variable, and the provisioning file declares that uid with no secret in it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { backfill, parseBackfillArgs } from '../../scripts/backfill';
import { createDatabase } from '../harness/postgres';

const ROOT = join(__dirname, '..', '..');
const DASHBOARD = join(ROOT, 'deploy', 'grafana', 'dashboards', 'history.json');
const DATASOURCE = join(
  ROOT,
  'deploy',
  'grafana',
  'provisioning',
  'datasources',
  'auren-history.yaml',
);
const DAY_MS = 86_400_000;

interface Target {
  refId: string;
  rawSql: string;
  format: 'time_series' | 'table';
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type: string; uid: string };
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Variable[] };
}

/** Grafana's interval syntax (gtime.ParseInterval): a number and s, m, h, d, w or y. */
function intervalSeconds(raw: string): number {
  const match = /^'?(\d+)(ms|s|m|h|d|w|y)'?$/.exec(raw.trim());
  if (!match) throw new Error(`interval Grafana would not parse: ${raw}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 }[
    match[2]
  ] as number;
  return Number(match[1]) * unit;
}

/** RFC 3339 in UTC, as Grafana's PostgreSQL macros print times. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The macros of Grafana's PostgreSQL data source (pkg/tsdb/grafana-postgresql-datasource,
 * macros.go) that this dashboard may use, expanded the same way: `$__name(args)`, the arguments
 * split at commas and trimmed.
 */
function expandMacros(sql: string, range: { from: number; to: number }): string {
  return sql.replace(/\$__([_a-zA-Z0-9]+)\(([^)]*)\)/g, (whole, name: string, rawArgs: string) => {
    const args = rawArgs.split(',').map((arg) => arg.trim());
    switch (name) {
      case 'time':
        return `${args[0]} AS "time"`;
      case 'timeEpoch':
        return `extract(epoch from ${args[0]}) AS "time"`;
      case 'timeFilter':
        return `${args[0]} BETWEEN '${rfc3339(range.from)}' AND '${rfc3339(range.to)}'`;
      case 'timeFrom':
        return `'${rfc3339(range.from)}'`;
      case 'timeTo':
        return `'${rfc3339(range.to)}'`;
      case 'timeGroup':
      case 'timeGroupAlias': {
        if (args.length < 2) throw new Error(`${whole}: needs a column and an interval`);
        const seconds = intervalSeconds(args[1]);
        const group = `floor(extract(epoch from ${args[0]})/${seconds})*${seconds}`;
        return name === 'timeGroupAlias' ? `${group} AS "time"` : group;
      }
      default:
        throw new Error(`macro $__${name} is not implemented by this test: add it faithfully`);
    }
  });
}

/**
 * Template variables as Grafana's PostgreSQL data source interpolates them: a multi-value or
 * include-all variable becomes its values quoted ('a','b'; quotes doubled), "All" every value.
 */
function expandVariables(sql: string, values: Map<string, string[]>): string {
  return sql.replace(
    /\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g,
    (whole, a?: string, b?: string, c?: string) => {
      const name = (a ?? b ?? c) as string;
      if (name.startsWith('__')) return whole;
      const list = values.get(name);
      if (!list) throw new Error(`unknown template variable ${whole}`);
      return list.map((value) => `'${value.replace(/'/g, "''")}'`).join(',');
    },
  );
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

describe('Grafana history dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  let client: Client;
  // Two days of history ending at the last full hour; the dashboard looks at those two days.
  const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const range = { from: end - 2 * DAY_MS, to: end };
  const values = new Map<string, string[]>();

  beforeAll(async () => {
    const url = await createDatabase('grafana');
    await backfill(
      parseBackfillArgs([
        '--days',
        '2',
        '--events-per-day',
        '4000',
        '--seed',
        '5',
        '--end',
        new Date(end).toISOString(),
        '--database-url',
        url,
      ]),
      () => undefined,
    );
    client = new Client({ connectionString: url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
  });

  async function run(sql: string): Promise<{ rows: Record<string, unknown>[]; fields: string[] }> {
    const result = await client.query<Record<string, unknown>>(
      expandVariables(expandMacros(sql, range), values),
    );
    return { rows: result.rows, fields: result.fields.map((field) => field.name) };
  }

  it('references its data source through the uid-referenced variable, which the provisioning file declares', () => {
    const variable = dashboard.templating.list.find((v) => v.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'grafana-postgresql-datasource' });
    const refs = [
      ...allPanels(dashboard.panels).flatMap((panel) => [
        panel.datasource,
        ...(panel.targets ?? []).map((target) => target.datasource),
      ]),
      ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => v.datasource),
    ];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs)
      expect(ref).toEqual({ type: 'grafana-postgresql-datasource', uid: '${datasource}' });

    const provisioning = readFileSync(DATASOURCE, 'utf8');
    expect(provisioning).toMatch(/uid: auren-history/);
    expect(provisioning).toMatch(/type: grafana-postgresql-datasource/);
    expect(provisioning).toMatch(/password: \$\{AUREN_GRAFANA_PG_PASSWORD\}/);
    expect((variable as unknown as { current: { value: string } }).current.value).toBe(
      'auren-history',
    );
  });

  it('answers every template variable query with values', async () => {
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const { rows, fields } = await run(variable.query);
      expect({ variable: variable.name, count: rows.length > 0 }).toEqual({
        variable: variable.name,
        count: true,
      });
      // "All" selected: every value the variable query returns.
      values.set(
        variable.name,
        rows.map((row) => String(row[fields[0]])),
      );
    }
    expect(values.get('agent')).toHaveLength(9);
    expect(values.get('event_type')).toContain('llm_call');
  });

  it('executes every panel query: rows, in the columns its panel type reads', async () => {
    const panels = allPanels(dashboard.panels).filter((panel) => panel.targets?.length);
    expect(panels.map((panel) => panel.title)).toEqual(
      expect.arrayContaining([
        'Cost per model per day',
        'Error rate per agent',
        'Latency percentiles',
        'Events per type',
        'Tokens per agent',
      ]),
    );
    for (const panel of panels) {
      for (const target of panel.targets as Target[]) {
        const { rows, fields } = await run(target.rawSql);
        const what = `${panel.title} (${target.refId})`;
        expect({ what, rows: rows.length > 0 }).toEqual({ what, rows: true });
        const numeric = (name: string) =>
          rows.every((row) => row[name] === null || Number.isFinite(Number(row[name])));
        if (target.format === 'time_series') {
          // Grafana's time series: a "time" column, then either metric + value (long) or
          // numeric value columns (wide).
          expect({ what, first: fields[0] }).toEqual({ what, first: 'time' });
          const rest = fields.slice(1);
          if (rest.includes('metric')) {
            expect({ what, rest }).toEqual({ what, rest: ['metric', 'value'] });
            expect(numeric('value')).toBe(true);
          } else {
            expect(rest.length).toBeGreaterThan(0);
            for (const name of rest)
              expect({ what, name, numeric: numeric(name) }).toEqual({ what, name, numeric: true });
          }
          // Buckets on the interval grid, inside the range.
          for (const row of rows) {
            const seconds = Number(row.time);
            expect(seconds * 1000).toBeGreaterThanOrEqual(range.from - DAY_MS);
            expect(seconds * 1000).toBeLessThanOrEqual(range.to);
          }
        } else if (panel.type === 'barchart') {
          // One string field for the axis, numeric fields for the bars.
          expect(typeof rows[0][fields[0]]).toBe('string');
          for (const name of fields.slice(1))
            expect({ what, name, numeric: numeric(name) }).toEqual({ what, name, numeric: true });
        } else if (panel.type === 'stat') {
          for (const name of fields)
            expect({ what, name, numeric: numeric(name) }).toEqual({ what, name, numeric: true });
          expect(Number(rows[0][fields[0]])).toBeGreaterThan(0);
        } else {
          expect(panel.type).toBe('table');
          expect(fields.length).toBeGreaterThan(1);
        }
      }
    }
  });

  it('shows figures that agree with the raw events', async () => {
    const cost = await run(
      `SELECT sum(value) AS total FROM (${
        (allPanels(dashboard.panels).find((p) => p.title === 'Cost per model per day') as Panel)
          .targets?.[0].rawSql
      }) AS panel`,
    );
    const raw = await client.query<{ total: number }>(
      `SELECT sum(cost) AS total FROM auren_events
        WHERE model IS NOT NULL AND ts >= $1 AND ts < $2`,
      [new Date(range.from).toISOString(), new Date(range.to).toISOString()],
    );
    expect(Number(cost.rows[0].total)).toBeGreaterThan(0);
    expect(Number(cost.rows[0].total)).toBeCloseTo(Number(raw.rows[0].total), 6);
  });
});
