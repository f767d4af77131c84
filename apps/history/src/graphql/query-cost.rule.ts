import {
  getNamedType,
  GraphQLError,
  GraphQLNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type GraphQLOutputType,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export interface QueryCostLimits {
  /** Deepest field nesting of an operation (introspection fields excepted, see below). */
  maxDepth: number;
  /** Highest estimated cost of an operation. */
  maxComplexity: number;
  /** `first` of a paginated list counts as its page size; a variable counts as this. */
  maxPageSize: number;
}

/** Each root field runs at least one SQL query. */
export const ROOT_FIELD_COST = 10;
/** An unpaginated list (trace nodes, buckets, models...) counts as this many items. */
export const LIST_ESTIMATE = 10;
/** Introspection (GraphiQL's own query nests `ofType` a dozen levels) may nest up to here. */
export const INTROSPECTION_DEPTH = 16;
const DEFAULT_FIRST = 50;

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

interface Measure {
  cost: number;
  depth: number;
  introspectionDepth: number;
}

/**
 * A validation rule: refuses an operation nested deeper than `maxDepth` (QUERY_TOO_DEEP) or whose
 * estimated cost is above `maxComplexity` (QUERY_TOO_COMPLEX), before anything runs. The cost: a
 * root field 10, an object field 1 plus what it selects, a list field its size times (1 plus what
 * each item selects), where the size is the `first` of the paginated field it belongs to (a
 * literal, the page size cap for a variable, 50 when absent) or 10 for lists without pagination;
 * scalars are free. Aliases count each time they appear.
 * It needs no variables, so mercurius can cache validated documents.
 */
export function queryCostRule(limits: QueryCostLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const measureSelections = (
      selectionSet: SelectionSetNode | undefined,
      parent: GraphQLNamedType | undefined,
      visiting: Set<string>,
      pageSize?: number,
    ): Measure => {
      const total: Measure = { cost: 0, depth: 0, introspectionDepth: 0 };
      if (!selectionSet) return total;
      for (const selection of selectionSet.selections) {
        let part: Measure;
        if (selection.kind === Kind.FIELD) {
          part = measureField(selection, parent, visiting, pageSize);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          const typeName = selection.typeCondition?.name.value;
          const type = typeName ? context.getSchema().getType(typeName) : parent;
          part = measureSelections(selection.selectionSet, type ?? undefined, visiting, pageSize);
        } else {
          const name = selection.name.value;
          const fragment = context.getFragment(name);
          // Unknown or cyclic fragments are reported by the standard rules.
          if (!fragment || visiting.has(name)) continue;
          const type = context.getSchema().getType(fragment.typeCondition.name.value);
          part = measureSelections(
            fragment.selectionSet,
            type ?? undefined,
            new Set([...visiting, name]),
            pageSize,
          );
        }
        total.cost += part.cost;
        total.depth = Math.max(total.depth, part.depth);
        total.introspectionDepth = Math.max(total.introspectionDepth, part.introspectionDepth);
      }
      return total;
    };

    const measureField = (
      field: FieldNode,
      parent: GraphQLNamedType | undefined,
      visiting: Set<string>,
      inheritedPageSize?: number,
    ): Measure => {
      const name = field.name.value;
      const definition =
        parent && (isObjectType(parent) || isInterfaceType(parent))
          ? parent.getFields()[name]
          : undefined;
      // A paginated field (one with `first`) sizes the lists of what it returns (its edges).
      let pageSize: number | undefined;
      if (definition?.args.some((arg) => arg.name === 'first')) {
        const first = field.arguments?.find((arg) => arg.name.value === 'first')?.value;
        pageSize = DEFAULT_FIRST;
        if (first?.kind === Kind.INT) pageSize = Math.min(Number(first.value), limits.maxPageSize);
        else if (first?.kind === Kind.VARIABLE) pageSize = limits.maxPageSize;
      }
      const child = measureSelections(
        field.selectionSet,
        definition ? getNamedType(definition.type) : undefined,
        visiting,
        pageSize,
      );
      if (name.startsWith('__')) {
        // Introspection: free, and held to its own depth.
        return {
          cost: 0,
          depth: 0,
          introspectionDepth: 1 + Math.max(child.depth, child.introspectionDepth),
        };
      }
      const leaf = !field.selectionSet;
      let cost = leaf ? 0 : 1 + child.cost;
      if (definition && !leaf && isList(definition.type)) {
        cost *= Math.max(1, pageSize ?? inheritedPageSize ?? LIST_ESTIMATE);
      }
      return { cost, depth: 1 + child.depth, introspectionDepth: child.introspectionDepth };
    };

    return {
      OperationDefinition(operation) {
        const root = context.getSchema().getRootType(operation.operation);
        let cost = 0;
        let depth = 0;
        let introspectionDepth = 0;
        for (const selection of operation.selectionSet.selections) {
          const part = measureSelections(
            { kind: Kind.SELECTION_SET, selections: [selection] },
            root ?? undefined,
            new Set(),
          );
          const introspection =
            selection.kind === Kind.FIELD && selection.name.value.startsWith('__');
          cost +=
            part.cost + (introspection || selection.kind !== Kind.FIELD ? 0 : ROOT_FIELD_COST);
          depth = Math.max(depth, part.depth);
          introspectionDepth = Math.max(introspectionDepth, part.introspectionDepth);
        }
        const name = operation.name?.value ?? 'the operation';
        if (depth > limits.maxDepth || introspectionDepth > INTROSPECTION_DEPTH) {
          context.reportError(
            new GraphQLError(
              `${name} nests fields ${Math.max(depth, introspectionDepth)} deep; the limit is ${depth > limits.maxDepth ? limits.maxDepth : INTROSPECTION_DEPTH}`,
              {
                nodes: [operation],
                extensions: { code: 'QUERY_TOO_DEEP', depth, limit: limits.maxDepth },
              },
            ),
          );
        } else if (cost > limits.maxComplexity) {
          context.reportError(
            new GraphQLError(
              `${name} is estimated at cost ${cost}; the limit is ${limits.maxComplexity} (ask for smaller pages or fewer fields and aliases)`,
              {
                nodes: [operation],
                extensions: { code: 'QUERY_TOO_COMPLEX', cost, limit: limits.maxComplexity },
              },
            ),
          );
        }
        return false;
      },
    };
  };
}
