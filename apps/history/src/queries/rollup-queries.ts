import type { SqlSession } from '../store/sql-database';
import { checkId, type TimeRange } from './arguments';
import { QueryInputError } from './query-errors';
import { asDate } from './event-record';
import { FigureRow, FigureSums, Figures } from './figures';
import {
  AGENT_HOUR_TABLE,
  agentRollupParts,
  FIGURE_COLUMNS,
  FIGURE_SUMS,
  Granularity,
  rollupSource,
  unionOf,
} from './rollup-source';
import { QueryViewer, SqlParams } from './scope';

export type StatsBucket = 'MINUTE' | 'HOUR' | 'DAY';
export type CostDimension = 'AGENT' | 'MODEL' | 'USER' | 'DAY';

export interface AgentSummary extends Figures {
  agent: string;
  /** Start of the newest rollup bucket (minute, hour or whole day) holding events of the agent in the range. */
  lastSeen: Date | null;
}

export interface ModelFigures extends Figures {
  /** null: events without a model. */
  model: string | null;
}

export interface BucketFigures extends Figures {
  start: Date;
  models: ModelFigures[];
}

export interface AgentStats {
  agent: string;
  bucket: StatsBucket;
  from: Date;
  to: Date;
  totals: Figures;
  buckets: BucketFigures[];
  models: ModelFigures[];
}

export interface CostRow {
  agent: string | null;
  model: string | null;
  user: string | null;
  day: Date | null;
  events: number;
  inputTokens: number;
  outputTokens: number;
  tokens: number;
  cost: number;
}

export interface CostBreakdown {
  by: CostDimension[];
  from: Date;
  to: Date;
  rows: CostRow[];
  total: CostRow;
  truncated: boolean;
}

/** Widest range per bucket size: the number of buckets stays a few thousand at most. */
export const MAX_BUCKET_DAYS: Record<StatsBucket, number> = { MINUTE: 2, HOUR: 92, DAY: 366 };
const DAY_MS = 86_400_000;
/** Rows a cost breakdown returns at most (`truncated` says when there were more). */
export const MAX_COST_ROWS = 10_000;

const orNull = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null;

export async function agentSummaries(
  db: SqlSession,
  viewer: QueryViewer,
  range: TimeRange,
): Promise<AgentSummary[]> {
  const params = new SqlParams();
  const source = rollupSource(range, viewer, params);
  const { rows } = await db.query(
    `SELECT agent_id, max(bucket) AS last_seen, ${FIGURE_SUMS} FROM ${source} r
     GROUP BY agent_id ORDER BY agent_id`,
    params.values,
  );
  return rows.map((row) => ({
    agent: String(row.agent_id),
    lastSeen: asDate(row.last_seen),
    ...new FigureSums().add(row).figures(),
  }));
}

const UNIT: Record<StatsBucket, string> = { MINUTE: 'minute', HOUR: 'hour', DAY: 'day' };
/** The coarsest rollup whose rows fall whole into the buckets asked for. */
const COARSEST: Record<StatsBucket, Granularity> = { MINUTE: 'minute', HOUR: 'hour', DAY: 'day' };

export async function agentStats(
  db: SqlSession,
  viewer: QueryViewer,
  agent: string,
  range: TimeRange,
  bucket: StatsBucket,
): Promise<AgentStats> {
  checkId(agent, 'agent');
  const maxDays = MAX_BUCKET_DAYS[bucket];
  if (range.to.getTime() - range.from.getTime() > maxDays * DAY_MS) {
    throw new QueryInputError('bucket', `${bucket} buckets cover at most ${maxDays} days from..to`);
  }
  const params = new SqlParams();
  const agentParam = params.add(agent);
  const parts = agentRollupParts(
    range,
    viewer,
    params,
    `agent_id = ${agentParam}`,
    COARSEST[bucket],
  );
  // Hourly buckets from the agent-hour rollup: its rows are the (hour, model) figures already and
  // are read as they are (summing ~2,000 packed histograms one row each cost more than the rest of
  // the query). Everything else is merged per (bucket, model) in SQL, each row's histogram once;
  // the per-bucket, per-model and total figures are sums of those few rows, made here.
  const ready = bucket === 'HOUR' ? parts.filter((part) => part.table === AGENT_HOUR_TABLE) : [];
  const merged = parts.filter((part) => !ready.includes(part));
  const selects = [
    ...ready.map((part) => `SELECT bucket AS b, model, ${FIGURE_COLUMNS} FROM (${part.sql}) r`),
    ...(merged.length
      ? [
          `SELECT date_trunc('${UNIT[bucket]}', bucket, 'UTC') AS b, model, ${FIGURE_SUMS}
           FROM ${unionOf(merged)} r GROUP BY 1, 2`,
        ]
      : []),
  ];
  const { rows } = await db.query(`${selects.join(' UNION ALL ')} ORDER BY 1, 2`, params.values);
  const totals = new FigureSums();
  const perModel = new Map<string, FigureSums>();
  const perBucket = new Map<number, { start: Date; sums: FigureSums; models: ModelFigures[] }>();
  for (const row of rows) {
    const start = asDate(row.b)!;
    const model = typeof row.model === 'string' ? row.model : '';
    const read = new FigureRow(row);
    totals.add(read);
    if (!perModel.has(model)) perModel.set(model, new FigureSums());
    perModel.get(model)!.add(read);
    let entry = perBucket.get(start.getTime());
    if (!entry) {
      entry = { start, sums: new FigureSums(), models: [] };
      perBucket.set(start.getTime(), entry);
    }
    entry.sums.add(read);
    entry.models.push({ model: orNull(model), ...read.figures() });
  }
  const stats: AgentStats = {
    agent,
    bucket,
    from: range.from,
    to: range.to,
    totals: totals.figures(),
    buckets: [...perBucket.values()].map(({ start, sums, models }) => ({
      start,
      ...sums.figures(),
      models,
    })),
    models: [...perModel.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([model, sums]) => ({ model: orNull(model), ...sums.figures() })),
  };
  return stats;
}

const DIMENSION_SQL: Record<CostDimension, string> = {
  AGENT: 'agent_id',
  MODEL: 'model',
  USER: 'user_id',
  DAY: "date_trunc('day', bucket, 'UTC')",
};
const DIMENSION_NAME: Record<CostDimension, string> = {
  AGENT: 'agent',
  MODEL: 'model',
  USER: 'usr',
  DAY: 'day',
};

export async function costBreakdown(
  db: SqlSession,
  viewer: QueryViewer,
  range: TimeRange,
  by: CostDimension[],
): Promise<CostBreakdown> {
  const dims = [...new Set(by)];
  const params = new SqlParams();
  const source = rollupSource(range, viewer, params);
  const select = dims.map((d) => `${DIMENSION_SQL[d]} AS ${DIMENSION_NAME[d]}`);
  const groups = dims.map((_, i) => String(i + 1));
  const grouping = dims.length
    ? `, grouping(${dims.map((d) => DIMENSION_SQL[d]).join(', ')}) AS g`
    : ', 0 AS g';
  const groupBy = dims.length ? `GROUP BY GROUPING SETS ((${groups.join(', ')}), ())` : '';
  const order = [
    'g DESC',
    ...(dims.includes('DAY') ? ['day'] : []),
    'cost DESC',
    ...dims.filter((d) => d !== 'DAY').map((d) => DIMENSION_NAME[d]),
  ];
  const { rows } = await db.query(
    `SELECT ${[...select, 'sum(events) AS events', 'sum(input_tokens) AS input_tokens', 'sum(output_tokens) AS output_tokens', 'sum(tokens) AS tokens', 'sum(cost) AS cost'].join(', ')}${grouping}
     FROM ${source} r ${groupBy}
     ORDER BY ${order.join(', ')} LIMIT ${MAX_COST_ROWS + 2}`,
    params.values,
  );
  const toRow = (row: Record<string, unknown>): CostRow => ({
    agent: dims.includes('AGENT') ? String(row.agent) : null,
    model: orNull(row.model),
    user: orNull(row.usr),
    day: dims.includes('DAY') ? asDate(row.day) : null,
    events: Number(row.events ?? 0),
    inputTokens: Number(row.input_tokens ?? 0),
    outputTokens: Number(row.output_tokens ?? 0),
    tokens: Number(row.tokens ?? 0),
    cost: Number(row.cost ?? 0),
  });
  // The grand total row sorts first (g has every bit set); with no dimension it is the only row.
  const totalRow = rows.find((row) => Number(row.g) !== 0 || dims.length === 0);
  const detail = dims.length ? rows.filter((row) => Number(row.g) === 0) : [];
  const total = totalRow
    ? { ...toRow(totalRow), agent: null, model: null, user: null, day: null }
    : {
        agent: null,
        model: null,
        user: null,
        day: null,
        events: 0,
        inputTokens: 0,
        outputTokens: 0,
        tokens: 0,
        cost: 0,
      };
  return {
    by: dims,
    from: range.from,
    to: range.to,
    rows: detail.slice(0, MAX_COST_ROWS).map(toRow),
    total,
    truncated: detail.length > MAX_COST_ROWS,
  };
}
