import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/** RFC 3339 date-times (an offset or Z required), or a bare date (midnight UTC). */
const DATE_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !DATE_TIME.test(value)) {
    throw new GraphQLError(
      `${JSON.stringify(value)?.slice(0, 64)} is not a DateTime: use an RFC 3339 string such as "2026-12-01T00:00:00Z" or "2026-12-01"`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  const date = new Date(value.length === 10 ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(date.getTime()))
    throw new GraphQLError(`"${value}" is not a real date`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  return date;
}

/** ISO 8601 / RFC 3339 date-times in UTC (`2026-12-03T10:00:00.000Z`; events keep microseconds). */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description:
    'An RFC 3339 date-time, for example "2026-12-01T00:00:00Z" (input: an offset or Z is required; a bare date means midnight UTC). Output in UTC.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string') return value;
    throw new GraphQLError('not a date-time');
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING)
      throw new GraphQLError('a DateTime is written as a string', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    return parseDateTime(ast.value);
  },
});

function literal(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literal(f.value, variables)]));
    case Kind.LIST:
      return ast.values.map((v) => literal(v, variables));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      return null;
  }
}

/** Any JSON value: the stored event as it was streamed. */
export const JsonScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value: an event as it was streamed (CONTRACT §1), an alert rule.',
  serialize: (value) => value,
  parseValue: (value) => value,
  parseLiteral: literal,
});
