import { buildSchema, parse, validate } from 'graphql';
import { queryCostRule } from './query-cost.rule';

const schema = buildSchema(`
  type Item { id: String, children: [Item] }
  type Edge { node: Item }
  type Page { edges: [Edge] }
  type Query { page(first: Int): Page, items: [Item], one: Item }
`);
const sut = queryCostRule({ maxDepth: 4, maxComplexity: 1000, maxPageSize: 100 });
const codes = (query: string) =>
  validate(schema, parse(query), [sut]).map((error) => error.extensions.code);

describe('queryCostRule', () => {
  it('lets ordinary queries through', () => {
    expect(codes('{ page(first: 10) { edges { node { id } } } one { id } }')).toEqual([]);
  });

  it('refuses nesting deeper than the limit, through fragments too', () => {
    expect(codes('{ one { children { children { children { children { id } } } } } }')).toEqual([
      'QUERY_TOO_DEEP',
    ]);
    expect(
      codes(
        '{ one { ...F } } fragment F on Item { children { children { children { children { id } } } } }',
      ),
    ).toEqual(['QUERY_TOO_DEEP']);
  });

  it('sizes a connection’s edges by first (capped), a variable as the cap', () => {
    // 10 (root) + 1 + 100 × (1 + 1): the cap of 100, not 100000.
    expect(codes('{ page(first: 100000) { edges { node { id } } } }')).toEqual([]);
    const aliases = Array.from(
      { length: 5 },
      (_, i) => `p${i}: page(first: 100) { edges { node { id } } }`,
    );
    expect(codes(`{ ${aliases.join(' ')} }`)).toEqual(['QUERY_TOO_COMPLEX']);
    const variables = Array.from(
      { length: 5 },
      (_, i) => `p${i}: page(first: $n) { edges { node { id } } }`,
    );
    expect(codes(`query Q($n: Int) { ${variables.join(' ')} }`)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('counts every alias of a root field', () => {
    const many = Array.from({ length: 101 }, (_, i) => `a${i}: one { id }`).join(' ');
    expect(codes(`{ ${many} }`)).toEqual(['QUERY_TOO_COMPLEX']);
  });

  it('lets introspection nest up to its own limit', () => {
    expect(
      codes('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }'),
    ).toEqual([]);
  });
});
