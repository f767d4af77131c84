import type { SqlDatabase } from './sql-database';

/** One schema change. Versions only grow; a released migration is never edited, only followed. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The histogram's bucket boundaries in ms: 1.1^k for k = 0 … 198, rounded to 6 significant
 * digits so that SQL (`width_bucket` over this array) and JavaScript ({@link latencyBucket}, which
 * the writer uses to pre-aggregate a batch) read the same doubles and always agree.
 */
export const LATENCY_THRESHOLDS: readonly number[] = Array.from({ length: 199 }, (_, k) =>
  Number((1.1 ** k).toPrecision(6)),
);

/**
 * The histogram bucket of a latency: 1 for [0, 1) ms, i ≥ 2 for [t(i-2), t(i-1)) with t the
 * {@link LATENCY_THRESHOLDS}, 200 for everything above; null for no or a negative latency.
 * Equal to SQL `auren_latency_bucket`.
 */
export function latencyBucket(ms: number | null): number | null {
  if (ms === null || !(ms >= 0)) return null;
  let low = 0;
  let high = LATENCY_THRESHOLDS.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (LATENCY_THRESHOLDS[mid] <= ms) low = mid + 1;
    else high = mid;
  }
  return 1 + low;
}

/**
 * Latency histograms: bucket 1 holds [0, 1) ms, bucket i ≥ 2 holds [1.1^(i-2), 1.1^(i-1)) ms,
 * up to bucket 200 (≈ 44 h, and everything above). Percentiles read from them are within ±5 % of
 * the exact value (the bucket's geometric middle is reported). `width_bucket` is a binary search
 * in C: no logarithm whose last bit could differ between libm and V8.
 */
const HISTOGRAMS = `
CREATE OR REPLACE FUNCTION auren_latency_bucket(ms double precision) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN ms IS NULL OR ms < 0 OR ms = 'NaN' THEN NULL
              ELSE 1 + width_bucket(ms, '{${LATENCY_THRESHOLDS.join(',')}}'::double precision[]) END
$$;

CREATE OR REPLACE FUNCTION auren_latency_bucket_value(bucket integer) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN bucket <= 1 THEN 0.5 ELSE power(1.1, bucket - 1.5) END
$$;

-- Adds one observation to a histogram (a 1-based array of counts, as long as its highest bucket).
CREATE OR REPLACE FUNCTION auren_hist_add_value(hist integer[], bucket integer) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
  IF bucket IS NULL THEN RETURN hist; END IF;
  IF hist IS NULL THEN hist := '{}'; END IF;
  IF coalesce(cardinality(hist), 0) < bucket THEN
    hist := hist || array_fill(0, ARRAY[bucket - coalesce(cardinality(hist), 0)]);
  END IF;
  hist[bucket] := hist[bucket] + 1;
  RETURN hist;
END $$;

-- Sums two histograms bucket by bucket (in place into the longer one's copy: no subquery).
CREATE OR REPLACE FUNCTION auren_hist_merge(a integer[], b integer[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  r integer[];
  o integer[];
BEGIN
  IF a IS NULL OR cardinality(a) = 0 THEN RETURN b; END IF;
  IF b IS NULL OR cardinality(b) = 0 THEN RETURN a; END IF;
  IF cardinality(a) >= cardinality(b) THEN r := a; o := b; ELSE r := b; o := a; END IF;
  FOR i IN 1 .. cardinality(o) LOOP
    IF o[i] <> 0 THEN r[i] := r[i] + o[i]; END IF;
  END LOOP;
  RETURN r;
END $$;

-- The value below which fraction q of the observations lie (the bucket's geometric middle).
CREATE OR REPLACE FUNCTION auren_hist_quantile(hist integer[], q double precision) RETURNS double precision
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  total bigint := 0;
  seen bigint := 0;
  rank double precision;
BEGIN
  IF hist IS NULL THEN RETURN NULL; END IF;
  FOR i IN 1 .. coalesce(cardinality(hist), 0) LOOP total := total + hist[i]; END LOOP;
  IF total = 0 THEN RETURN NULL; END IF;
  rank := greatest(1, ceil(q * total));
  FOR i IN 1 .. cardinality(hist) LOOP
    seen := seen + hist[i];
    IF seen >= rank THEN RETURN auren_latency_bucket_value(i); END IF;
  END LOOP;
  RETURN auren_latency_bucket_value(cardinality(hist));
END $$;

CREATE OR REPLACE AGGREGATE auren_hist_of(integer) (
  SFUNC = auren_hist_add_value, STYPE = integer[]
);
CREATE OR REPLACE AGGREGATE auren_hist_sum(integer[]) (
  SFUNC = auren_hist_merge, STYPE = integer[]
);
`;

/**
 * Digits per histogram bucket in a packed histogram: bucket i's count is the i-th group of 10
 * decimal digits from the right of one `numeric`, i.e. Σ count_i · 10^(10·(i−1)). Adding two
 * packed histograms adds them bucket by bucket (no count reaches 10^10), so `sum(latency_packed)`
 * merges thousands of rollup rows in C, where the plpgsql merge of `integer[]` cost ~16 µs a row;
 * and its decimal text is read back by slicing, no big-number arithmetic (see unpackHistogram).
 */
export const PACKED_DIGITS = 10;

const PACKED_HISTOGRAMS = `
CREATE OR REPLACE FUNCTION auren_hist_pack(hist integer[]) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  packed text := '';
BEGIN
  IF hist IS NULL OR cardinality(hist) = 0 THEN RETURN NULL; END IF;
  FOR i IN 1 .. cardinality(hist) LOOP
    packed := lpad(coalesce(hist[i], 0)::text, ${PACKED_DIGITS}, '0') || packed;
  END LOOP;
  RETURN packed::numeric;
END $$;

CREATE OR REPLACE FUNCTION auren_hist_unpack(packed numeric) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  digits text;
  hist integer[] := '{}';
  n integer;
BEGIN
  IF packed IS NULL THEN RETURN NULL; END IF;
  digits := trunc(packed)::text;
  n := (length(digits) + ${PACKED_DIGITS - 1}) / ${PACKED_DIGITS};
  digits := lpad(digits, n * ${PACKED_DIGITS}, '0');
  FOR i IN 1 .. n LOOP
    hist := hist || substr(digits, (n - i) * ${PACKED_DIGITS} + 1, ${PACKED_DIGITS})::integer;
  END LOOP;
  RETURN hist;
END $$;

CREATE OR REPLACE FUNCTION auren_hist_quantile(packed numeric, q double precision) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT auren_hist_quantile(auren_hist_unpack(packed), q)
$$;
`;

function rollupTable(name: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${name} (
  bucket timestamptz NOT NULL,
  agent_id text NOT NULL,
  event_type text NOT NULL,
  model text NOT NULL DEFAULT '',
  user_id text NOT NULL DEFAULT '',
  events bigint NOT NULL DEFAULT 0,
  successes bigint NOT NULL DEFAULT 0,
  failures bigint NOT NULL DEFAULT 0,
  latency_count bigint NOT NULL DEFAULT 0,
  latency_sum double precision NOT NULL DEFAULT 0,
  latency_hist integer[],
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  tokens bigint NOT NULL DEFAULT 0,
  cost double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, agent_id, event_type, model, user_id)
) WITH (fillfactor = 70);
CREATE INDEX IF NOT EXISTS ${name}_agent ON ${name} (agent_id, bucket);
`;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'events partitioned by day, rollups per minute and hour, latency histograms',
    sql: `
${HISTOGRAMS}
CREATE TABLE IF NOT EXISTS auren_events (
  ts timestamptz NOT NULL,
  event_id text NOT NULL,
  received_at timestamptz NOT NULL,
  stream_id text NOT NULL,
  event_type text NOT NULL,
  agent_id text NOT NULL,
  target_agent_id text,
  user_id text,
  trace_id text,
  session_id text,
  parent_event_id text,
  model text,
  success boolean,
  latency_ms double precision,
  confidence double precision,
  input_tokens bigint,
  output_tokens bigint,
  tokens bigint,
  cost double precision,
  error_type text,
  body jsonb NOT NULL,
  PRIMARY KEY (event_id, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX IF NOT EXISTS auren_events_ts ON auren_events (ts);
CREATE INDEX IF NOT EXISTS auren_events_agent_ts ON auren_events (agent_id, ts);
CREATE INDEX IF NOT EXISTS auren_events_type_ts ON auren_events (event_type, ts);
CREATE INDEX IF NOT EXISTS auren_events_user_ts ON auren_events (user_id, ts);
CREATE INDEX IF NOT EXISTS auren_events_trace ON auren_events (trace_id, ts) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS auren_events_session ON auren_events (session_id, ts) WHERE session_id IS NOT NULL;
${rollupTable('auren_rollup_minute')}
${rollupTable('auren_rollup_hour')}
`,
  },
  {
    version: 2,
    name: 'packed latency histograms summed in C; a day rollup for month-long ranges',
    sql: `
${PACKED_HISTOGRAMS}
ALTER TABLE auren_rollup_minute ADD COLUMN IF NOT EXISTS latency_packed numeric
  GENERATED ALWAYS AS (auren_hist_pack(latency_hist)) STORED;
ALTER TABLE auren_rollup_hour ADD COLUMN IF NOT EXISTS latency_packed numeric
  GENERATED ALWAYS AS (auren_hist_pack(latency_hist)) STORED;
${rollupTable('auren_rollup_day')}
ALTER TABLE auren_rollup_day ADD COLUMN IF NOT EXISTS latency_packed numeric
  GENERATED ALWAYS AS (auren_hist_pack(latency_hist)) STORED;
INSERT INTO auren_rollup_day (bucket, agent_id, event_type, model, user_id, events, successes,
    failures, latency_count, latency_sum, latency_hist, input_tokens, output_tokens, tokens, cost)
  SELECT date_trunc('day', bucket, 'UTC'), agent_id, event_type, model, user_id, sum(events),
    sum(successes), sum(failures), sum(latency_count), sum(latency_sum), auren_hist_sum(latency_hist),
    sum(input_tokens), sum(output_tokens), sum(tokens), sum(cost)
  FROM auren_rollup_hour GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT DO NOTHING;
`,
  },
  {
    version: 3,
    name: 'covering index for one agent over the hour rollup',
    // One agent's month is tens of thousands of hour-rollup rows scattered over the whole table
    // (every hour's rows of every agent are written together): reading them from the heap cost
    // ~200 ms of page reads over 10 M events. The index holds what the aggregate queries read,
    // in agent order: an index-only scan of one agent's part (~30 ms). It replaces the plain
    // (agent_id, bucket) index.
    sql: `
CREATE INDEX IF NOT EXISTS auren_rollup_hour_agent_cover ON auren_rollup_hour (agent_id, bucket)
  INCLUDE (model, user_id, events, successes, failures, latency_count, latency_sum, latency_packed,
    input_tokens, output_tokens, tokens, cost);
DROP INDEX IF EXISTS auren_rollup_hour_agent;
`,
  },
  {
    version: 4,
    name: 'an agent-hour rollup across event types and users',
    // agentStats over a month for a viewer who sees every user merged ~43,000 hour-rollup rows of
    // one agent (every event type, model and user) into ~2,000 (hour, model) figures: ~40 ms of
    // numeric sums in PostgreSQL alone. This rollup holds those sums already: one row per
    // (hour, agent, model). It has no user column, so only viewers who see every user read it.
    sql: `
CREATE TABLE IF NOT EXISTS auren_rollup_agent_hour (
  bucket timestamptz NOT NULL,
  agent_id text NOT NULL,
  model text NOT NULL DEFAULT '',
  events bigint NOT NULL DEFAULT 0,
  successes bigint NOT NULL DEFAULT 0,
  failures bigint NOT NULL DEFAULT 0,
  latency_count bigint NOT NULL DEFAULT 0,
  latency_sum double precision NOT NULL DEFAULT 0,
  latency_hist integer[],
  input_tokens bigint NOT NULL DEFAULT 0,
  output_tokens bigint NOT NULL DEFAULT 0,
  tokens bigint NOT NULL DEFAULT 0,
  cost double precision NOT NULL DEFAULT 0,
  latency_packed numeric GENERATED ALWAYS AS (auren_hist_pack(latency_hist)) STORED,
  PRIMARY KEY (bucket, agent_id, model)
) WITH (fillfactor = 70);
CREATE INDEX IF NOT EXISTS auren_rollup_agent_hour_cover ON auren_rollup_agent_hour (agent_id, bucket)
  INCLUDE (model, events, successes, failures, latency_count, latency_sum, latency_packed,
    input_tokens, output_tokens, tokens, cost);
INSERT INTO auren_rollup_agent_hour (bucket, agent_id, model, events, successes, failures,
    latency_count, latency_sum, latency_hist, input_tokens, output_tokens, tokens, cost)
  SELECT bucket, agent_id, model, sum(events), sum(successes), sum(failures), sum(latency_count),
    sum(latency_sum), auren_hist_sum(latency_hist), sum(input_tokens), sum(output_tokens),
    sum(tokens), sum(cost)
  FROM auren_rollup_hour GROUP BY 1, 2, 3
  ON CONFLICT DO NOTHING;
`,
  },
  {
    version: 5,
    name: 'alerts: rules, transitions, evaluator checkpoint, webhook deliveries, silences',
    sql: `
CREATE TABLE IF NOT EXISTS auren_alert_rules (
  id text PRIMARY KEY,
  owner text NOT NULL,
  rule jsonb NOT NULL,
  -- What the owner may see, from the credential that saved the rule (CONTRACT §4):
  -- {"seesAllUsers": bool, "allowedAgents": [..] or null}.
  access jsonb NOT NULL DEFAULT '{"seesAllUsers": false, "allowedAgents": null}',
  source text NOT NULL DEFAULT 'api',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS auren_alert_rules_owner ON auren_alert_rules (owner);
-- Bumped by every change of the rules: the evaluator reloads them when it moves.
CREATE TABLE IF NOT EXISTS auren_alert_meta (
  id integer PRIMARY KEY CHECK (id = 1),
  rules_version bigint NOT NULL DEFAULT 0
);
INSERT INTO auren_alert_meta (id) VALUES (1) ON CONFLICT DO NOTHING;
-- Every transition decided, once: (key, seq) is unique, so a successor replaying the stream
-- from the last checkpoint decides the same transitions and stores none twice. alert_id orders
-- publication; published: handed to the alerts log (dashboards).
CREATE TABLE IF NOT EXISTS auren_alert_transitions (
  alert_id bigserial PRIMARY KEY,
  rule_id text NOT NULL,
  key text NOT NULL,
  seq bigint NOT NULL,
  owner text NOT NULL,
  agent_id text,
  state text NOT NULL,
  severity text NOT NULL,
  at timestamptz NOT NULL,
  body jsonb NOT NULL,
  published boolean NOT NULL DEFAULT false,
  UNIQUE (key, seq)
);
CREATE INDEX IF NOT EXISTS auren_alert_transitions_owner ON auren_alert_transitions (owner, alert_id);
CREATE INDEX IF NOT EXISTS auren_alert_transitions_rule ON auren_alert_transitions (rule_id, alert_id);
CREATE INDEX IF NOT EXISTS auren_alert_transitions_unpublished ON auren_alert_transitions (alert_id)
  WHERE NOT published;
-- The evaluator's state after the stream position it has evaluated (one row).
CREATE TABLE IF NOT EXISTS auren_alert_checkpoint (
  id integer PRIMARY KEY CHECK (id = 1),
  position text NOT NULL,
  snapshot jsonb NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS auren_alert_webhooks (
  alert_id bigint NOT NULL REFERENCES auren_alert_transitions ON DELETE CASCADE,
  url text NOT NULL,
  format text NOT NULL,
  secret text NOT NULL,
  owner text NOT NULL,
  -- The body as it is signed and sent (rendered when the transition was decided).
  payload text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  last_status integer,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (alert_id, url)
);
CREATE INDEX IF NOT EXISTS auren_alert_webhooks_due ON auren_alert_webhooks (next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS auren_alert_webhooks_dead ON auren_alert_webhooks (owner, alert_id)
  WHERE status = 'dead';
CREATE TABLE IF NOT EXISTS auren_alert_user_webhooks (
  owner text PRIMARY KEY,
  url text NOT NULL,
  format text NOT NULL,
  secret text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS auren_alert_silences (
  id bigserial PRIMARY KEY,
  owner text NOT NULL,
  rule_id text,
  agent_id text,
  ends_at timestamptz NOT NULL,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- A change of a stored alert shown live (acknowledged, silenced): published like a transition,
-- with an id of the same sequence (the alerts log is ordered by it).
CREATE TABLE IF NOT EXISTS auren_alert_updates (
  alert_id bigint PRIMARY KEY DEFAULT nextval('auren_alert_transitions_alert_id_seq'),
  of_alert bigint NOT NULL REFERENCES auren_alert_transitions ON DELETE CASCADE,
  owner text NOT NULL,
  body jsonb NOT NULL,
  published boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS auren_alert_updates_unpublished ON auren_alert_updates (alert_id)
  WHERE NOT published;
CREATE TABLE IF NOT EXISTS auren_alert_acks (
  alert_id bigint PRIMARY KEY REFERENCES auren_alert_transitions ON DELETE CASCADE,
  key text NOT NULL,
  by_user text NOT NULL,
  comment text,
  at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 6,
    name: 'packed histograms kept by the writer instead of a generated column',
    // The generated column called the PL/pgSQL auren_hist_pack (~25 µs) for every rollup row an
    // insert touched: half the writer's time. The writer now sends each row's packed delta and
    // the upsert adds two numerics; the stored values stay as they were.
    sql: `
ALTER TABLE auren_rollup_minute ALTER COLUMN latency_packed DROP EXPRESSION IF EXISTS;
ALTER TABLE auren_rollup_hour ALTER COLUMN latency_packed DROP EXPRESSION IF EXISTS;
ALTER TABLE auren_rollup_day ALTER COLUMN latency_packed DROP EXPRESSION IF EXISTS;
ALTER TABLE auren_rollup_agent_hour ALTER COLUMN latency_packed DROP EXPRESSION IF EXISTS;
`,
  },
  {
    version: 7,
    name: 'a leaner insert: packed histograms only, bodies as json, (ts, event_id) as the key',
    // What the writer's insert costs PostgreSQL, trimmed where no query gains from it:
    // - every query reads latency_packed; merging the integer[] copy with the PL/pgSQL
    //   auren_hist_merge on every rollup row an insert touched cost a fifth of the writer's time;
    // - bodies are only ever read whole or searched as text: json stores the text as sent after
    //   checking it (~2 µs an event) where jsonb built its binary form (~6 µs), and its text is
    //   what the search reads, with no conversion back;
    // - the key ordered (ts, event_id) serves time ranges and the event lists' keyset order
    //   (ts, event_id) itself, so the separate ts index (one more index insert per event) goes.
    sql: `
ALTER TABLE auren_rollup_minute DROP COLUMN IF EXISTS latency_hist;
ALTER TABLE auren_rollup_hour DROP COLUMN IF EXISTS latency_hist;
ALTER TABLE auren_rollup_day DROP COLUMN IF EXISTS latency_hist;
ALTER TABLE auren_rollup_agent_hour DROP COLUMN IF EXISTS latency_hist;
ALTER TABLE auren_events ALTER COLUMN body TYPE json USING body::json;
ALTER TABLE auren_events DROP CONSTRAINT IF EXISTS auren_events_pkey;
ALTER TABLE auren_events ADD CONSTRAINT auren_events_pkey PRIMARY KEY (ts, event_id);
DROP INDEX IF EXISTS auren_events_ts;
`,
  },
];

/** Serialises migrations and partition changes between processes sharing one database. */
export const SCHEMA_LOCK = 727_301;

/**
 * Brings the schema to the newest version: each migration not yet recorded in
 * `auren_schema_migrations` runs in its own transaction, under an advisory lock so that two
 * replicas starting together apply it once. Running it again changes nothing.
 */
export async function runMigrations(
  db: SqlDatabase,
  migrations: Migration[] = MIGRATIONS,
): Promise<number[]> {
  // IF NOT EXISTS is not safe between two sessions creating at once (both pass the check, one
  // fails on the catalog's unique index): under the lock, it is.
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    await tx.query(`CREATE TABLE IF NOT EXISTS auren_schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      const done = await tx.query('SELECT 1 FROM auren_schema_migrations WHERE version = $1', [
        migration.version,
      ]);
      if (done.rows.length > 0) return;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO auren_schema_migrations (version, name) VALUES ($1, $2)', [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    });
  }
  return applied;
}

/**
 * Splits a script into statements at semicolons outside dollar-quoted bodies and quotes (the
 * extended protocol, which transactions use, takes one statement per call).
 */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let dollar: string | null = null;
  let quote = false;
  for (let i = 0; i < script.length; i++) {
    const char = script[i];
    if (dollar) {
      if (script.startsWith(dollar, i)) {
        current += dollar;
        i += dollar.length - 1;
        dollar = null;
        continue;
      }
    } else if (quote) {
      if (char === "'") quote = false;
    } else if (char === "'") {
      quote = true;
    } else if (char === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? script.length : end;
      continue;
    } else if (char === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(script.slice(i));
      if (tag) {
        dollar = tag[0];
        current += dollar;
        i += dollar.length - 1;
        continue;
      }
    } else if (char === ';') {
      if (current.trim()) statements.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
