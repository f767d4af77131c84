/**
 * Who is asking, and the SQL that limits every query to what the delivery rule
 * (libs/contracts isVisibleTo, CONTRACT §4) would have sent them: events of their own `user_id`
 * or of none, unless they hold the `all` permission; and only the agents their token lists, when
 * it lists any.
 */
export interface QueryViewer {
  userId: string;
  /** The `all` permission: every user's events. */
  seesAllUsers: boolean;
  /** Agents the token allows; `null`: not restricted. */
  allowedAgents: readonly string[] | null;
}

/** A viewer that sees everything (scripts, benches, the `all` permission). */
export const ALL_SEEING: QueryViewer = {
  userId: 'service',
  seesAllUsers: true,
  allowedAgents: null,
};

/** Builds a parameterised WHERE clause: `add` returns the `$n` of a new parameter. */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The visibility conditions for a table. Events keep `user_id` NULL for "no owner"; rollups keep
 * `''` (part of their key), hence `ownerless`.
 */
export function visibilityConditions(
  viewer: QueryViewer,
  params: SqlParams,
  table: 'events' | 'rollup',
  alias = '',
): string[] {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  const conditions: string[] = [];
  if (!viewer.seesAllUsers) {
    const ownerless =
      table === 'events' ? `${column('user_id')} IS NULL` : `${column('user_id')} = ''`;
    conditions.push(`(${ownerless} OR ${column('user_id')} = ${params.add(viewer.userId)})`);
  }
  if (viewer.allowedAgents !== null) {
    conditions.push(
      `${column('agent_id')} = ANY(${params.add([...viewer.allowedAgents])}::text[])`,
    );
  }
  return conditions;
}
