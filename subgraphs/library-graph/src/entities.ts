// Batched entity resolution. @neo4j/graphql's generated `__resolveReference`
// runs one Cypher query per representation, so an `_entities` call with 100
// tracks would cost 100 round trips. This replaces it, for every entity type,
// with a DataLoader (one per `_entities` call and type) whose batch function
// builds the same Cypher @neo4j/graphql would, with `id IN $ids` instead of
// `id = $id`: one round trip per entity type per `_entities` call.
import { createRequire } from 'node:module';
import path from 'node:path';
import DataLoader from 'dataloader';
import {
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { throwIfAbandoned } from '@tonegraph/request-scope';

// @neo4j/graphql 7.6 exports only its root; these are the internals its own
// reference resolver (dist/classes/Subgraph.js) is made of, loaded by file
// path and typed here by what this module uses of them.
const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@neo4j/graphql'));
const internal = <T>(file: string): T => require(path.join(dist, file)) as T;

interface ResolveTree {
  readonly name: string;
  readonly alias: string;
  readonly args: Record<string, unknown>;
  readonly fieldsByTypeName: Record<string, Record<string, ResolveTree>>;
}
/** The context @neo4j/graphql's resolver wrapper passes down (executor, schema model …). */
interface ComposedContext {
  readonly schemaModel: { getConcreteEntityAdapter(name: string): object | undefined };
}
const { translateResolveReference } = internal<{
  translateResolveReference: (input: {
    context: ComposedContext & { resolveTree: ResolveTree };
    entityAdapter: object;
    reference: unknown;
  }) => { cypher: string; params: Record<string, unknown> };
}>('translate/translate-resolve-reference.js');
const { default: getNeo4jResolveTree } = internal<{ default: (info: GraphQLResolveInfo) => ResolveTree }>(
  'utils/get-neo4j-resolve-tree.js',
);
const { default: execute } = internal<{
  default: (input: {
    cypher: string;
    params: Record<string, unknown>;
    defaultAccessMode: 'READ';
    context: ComposedContext;
    info: GraphQLResolveInfo;
  }) => Promise<{ records: Record<string, unknown>[] }>;
}>('utils/execute.js');

/** Projected with every entity so each record can be matched to its key. */
const keyAlias = 'tonegraphEntityKey';
/** Ids per Cypher query; more representations than this cost more queries. */
const maxBatchSize = 1000;

interface Reference {
  readonly __typename: string;
  readonly id: string;
}

type ResolveReference = (reference: Reference, context: ComposedContext, info: GraphQLResolveInfo) => unknown;

// One loader per (wrapped context of one `_entities` call, type). The context
// object is created by @neo4j/graphql's wrapper for each root field call.
type EntityLoader = DataLoader<string, Record<string, unknown> | null>;
const loaders = new WeakMap<object, Map<string, EntityLoader>>();

function withKeyField(tree: ResolveTree, typename: string): ResolveTree {
  const fields = tree.fieldsByTypeName[typename] ?? {};
  return {
    ...tree,
    fieldsByTypeName: {
      ...tree.fieldsByTypeName,
      [typename]: { ...fields, [keyAlias]: { name: 'id', alias: keyAlias, args: {}, fieldsByTypeName: {} } },
    },
  };
}

function createLoader(typename: string, context: ComposedContext, info: GraphQLResolveInfo) {
  return new DataLoader<string, Record<string, unknown> | null>(
    async (ids) => {
      // A query the gateway abandoned starts no more Cypher.
      throwIfAbandoned();
      const entityAdapter = context.schemaModel.getConcreteEntityAdapter(typename);
      if (!entityAdapter) throw new Error(`no entity named ${typename}`);
      const resolveTree = withKeyField(getNeo4jResolveTree(info), typename);
      const { cypher, params } = translateResolveReference({
        context: { ...context, resolveTree },
        entityAdapter,
        reference: { __typename: typename, id: { in: ids } },
      });
      const { records } = await execute({ cypher, params, defaultAccessMode: 'READ', context, info });
      const byId = new Map<string, Record<string, unknown>>();
      for (const record of records) {
        const entity = record.this as Record<string, unknown>;
        byId.set(String(entity[keyAlias]), entity);
      }
      // An id the graph does not hold yet (its graph sync has not run) is
      // still a track of the catalog: it gets empty relationships, not a
      // null that would void the whole query's non-null fields.
      return ids.map((id) => byId.get(id) ?? { ...emptyObject(info.schema, typename, resolveTree), id });
    },
    { maxBatchSize },
  );
}

/** The selected fields of `typename` with empty values: [] for lists, null where allowed. */
function emptyObject(schema: GraphQLSchema, typename: string, tree: ResolveTree): Record<string, unknown> {
  const type = schema.getType(typename) as GraphQLObjectType;
  const fields = type.getFields();
  const out: Record<string, unknown> = {};
  for (const field of Object.values(tree.fieldsByTypeName[typename] ?? {})) {
    const def = fields[field.name];
    out[field.alias] =
      field.name === '__typename' ? typename : def ? emptyValue(schema, def.type, field) : null;
  }
  return out;
}

function emptyValue(schema: GraphQLSchema, type: GraphQLOutputType, tree: ResolveTree): unknown {
  if (!isNonNullType(type)) return isListType(type) ? [] : null;
  const inner = type.ofType;
  if (isListType(inner)) return [];
  if (isObjectType(inner)) return emptyObject(schema, inner.name, tree);
  if (isEnumType(inner)) return inner.getValues()[0]?.value ?? null;
  switch (inner.name) {
    case 'Int':
    case 'Float':
      return 0;
    case 'Boolean':
      return false;
    default:
      return '';
  }
}

const batchedResolveReference: ResolveReference = (reference, context, info) => {
  let byType = loaders.get(context);
  if (!byType) loaders.set(context, (byType = new Map<string, EntityLoader>()));
  let loader = byType.get(reference.__typename);
  if (!loader) byType.set(reference.__typename, (loader = createLoader(reference.__typename, context, info)));
  return loader.load(String(reference.id));
};

/**
 * Replaces the reference resolver of every entity type of `schema` (a type
 * whose resolver @apollo/subgraph keeps in `extensions.apollo.subgraph`) with
 * the batched one. Every entity here is keyed by `id` alone.
 */
export function batchEntityResolution(schema: GraphQLSchema, entityTypes: readonly string[]): void {
  for (const name of entityTypes) {
    const type = schema.getType(name);
    if (!isObjectType(type)) throw new Error(`entity type ${name} is not in the schema`);
    const extensions = type.extensions as { apollo?: { subgraph?: { resolveReference?: unknown } } };
    if (typeof extensions.apollo?.subgraph?.resolveReference !== 'function') {
      throw new Error(`entity type ${name} has no reference resolver to replace`);
    }
    extensions.apollo.subgraph.resolveReference = batchedResolveReference;
  }
}
