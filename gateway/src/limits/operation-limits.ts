import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromAST,
} from 'graphql';

/** Bounds on one operation; each breach has its own `extensions.code`. */
export interface OperationLimits {
  /** Deepest field nesting (the root fields are depth 1). Default 15. */
  readonly maxDepth: number;
  /** Aliased fields in the whole operation. Default 30. */
  readonly maxAliases: number;
  /** Fields selected at the root (after fragments). Default 10. */
  readonly maxRootFields: number;
  /** Estimated field resolutions: each field counts 1 × the sizes of the lists above it. Default 25000. */
  readonly maxCost: number;
  /** Largest `first`/`last`/`limit` argument. Default 500. */
  readonly maxPageSize: number;
  /** Assumed size of a list field without a size argument or default. Default 20. */
  readonly defaultListSize: number;
}

export const DEFAULT_LIMITS: OperationLimits = {
  maxDepth: 15,
  maxAliases: 30,
  maxRootFields: 10,
  maxCost: 25_000,
  maxPageSize: 500,
  defaultListSize: 20,
};

export const LimitCode = {
  Depth: 'QUERY_TOO_DEEP',
  Aliases: 'TOO_MANY_ALIASES',
  RootFields: 'TOO_MANY_ROOT_FIELDS',
  Cost: 'QUERY_TOO_COMPLEX',
  PageSize: 'PAGE_SIZE_TOO_LARGE',
} as const;

const SIZE_ARGS = ['first', 'last', 'limit'] as const;
/** Lists whose size the parent's `first` already counted (Relay connections). */
const CONNECTION_LISTS = new Set(['edges', 'nodes']);

const limitError = (message: string, code: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extensions, http: { status: 400 } } });

interface Walk {
  depth: number;
  aliases: number;
  cost: number;
  error?: GraphQLError;
}

/**
 * Checks a validated operation against the limits, with its variables (a
 * `first: $n` counts as the value sent). Returns the first breach, or
 * undefined. Runs in one pass over the selections, fragments inlined.
 */
export function checkOperationLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
  limits: OperationLimits,
): GraphQLError | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;
  const walk: Walk = { depth: 0, aliases: 0, cost: 0 };

  const rootFields = new Set<string>();
  collectRootFields(operation.selectionSet, fragments, rootFields, new Set());
  if (rootFields.size > limits.maxRootFields)
    return limitError(
      `The operation selects ${rootFields.size} root fields; at most ${limits.maxRootFields} are allowed`,
      LimitCode.RootFields,
      { limit: limits.maxRootFields },
    );

  const visit = (
    set: SelectionSetNode,
    type: GraphQLNamedType,
    depth: number,
    multiplier: number,
    seen: Set<string>,
  ) => {
    for (const selection of set.selections) {
      if (walk.error) return;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const cond = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        visit(selection.selectionSet, cond ?? type, depth, multiplier, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        const cond = schema.getType(fragment.typeCondition.name.value) ?? type;
        visit(fragment.selectionSet, cond, depth, multiplier, new Set(seen).add(name));
      } else visitField(selection, type, depth, multiplier, seen);
    }
  };

  const visitField = (
    node: FieldNode,
    parent: GraphQLNamedType,
    depth: number,
    multiplier: number,
    seen: Set<string>,
  ) => {
    if (node.alias) walk.aliases++;
    if (walk.aliases > limits.maxAliases) {
      walk.error = limitError(
        `The operation uses more than ${limits.maxAliases} aliases`,
        LimitCode.Aliases,
        {
          limit: limits.maxAliases,
        },
      );
      return;
    }
    if (node.name.value.startsWith('__')) return;
    walk.depth = Math.max(walk.depth, depth);
    if (depth > limits.maxDepth) {
      walk.error = limitError(
        `The operation is nested deeper than ${limits.maxDepth} levels`,
        LimitCode.Depth,
        {
          limit: limits.maxDepth,
        },
      );
      return;
    }
    const field: GraphQLField<unknown, unknown> | undefined =
      isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[node.name.value] : undefined;
    walk.cost += multiplier;
    if (walk.cost > limits.maxCost) {
      walk.error = limitError(
        `The operation's estimated cost exceeds ${limits.maxCost} (lists sizes × selected fields)`,
        LimitCode.Cost,
        { limit: limits.maxCost },
      );
      return;
    }
    if (!field || !node.selectionSet) return;
    let size: number | undefined;
    for (const name of SIZE_ARGS) {
      const arg = field.args.find((a) => a.name === name);
      if (!arg) continue;
      const given = node.arguments?.find((a) => a.name.value === name);
      const value = given ? valueFromAST(given.value, arg.type, variables) : arg.defaultValue;
      if (typeof value !== 'number') continue;
      if (value > limits.maxPageSize) {
        walk.error = limitError(
          `${node.name.value}(${name}: ${value}) asks for more than ${limits.maxPageSize} items`,
          LimitCode.PageSize,
          { limit: limits.maxPageSize, field: node.name.value, argument: name },
        );
        return;
      }
      size = Math.max(size ?? 0, value);
    }
    const isList = isListType(getNullableType(field.type));
    const factor = size ?? (isList && !CONNECTION_LISTS.has(node.name.value) ? limits.defaultListSize : 1);
    const child = getNamedType(field.type);
    if (isCompositeType(child))
      visit(node.selectionSet, child, depth + 1, multiplier * Math.max(factor, 1), seen);
  };

  visit(operation.selectionSet, root, 1, 1, new Set());
  return walk.error;
}

function collectRootFields(
  set: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  out: Set<string>,
  seen: Set<string>,
): void {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (s.name.value !== '__typename') out.add((s.alias ?? s.name).value);
    } else if (s.kind === Kind.INLINE_FRAGMENT) collectRootFields(s.selectionSet, fragments, out, seen);
    else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = fragments.get(s.name.value);
      if (fragment) collectRootFields(fragment.selectionSet, fragments, out, seen);
    }
  }
}
