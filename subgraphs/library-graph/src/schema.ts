import { readFile } from 'node:fs/promises';
import { printSubgraphSchema } from '@apollo/subgraph';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { Neo4jGraphQL } from '@neo4j/graphql';
import { GraphQLObjectType, Kind, visit, type ASTNode, type GraphQLSchema } from 'graphql';
import type { Driver } from 'neo4j-driver';

const typeDefsFile = new URL('../../../schema/library-graph.graphql', import.meta.url);

/**
 * Generated types renamed so they do not collide with another subgraph's
 * type of the same name: the catalog's `PageInfo` is a non-shareable value
 * type with other fields. @neo4j/graphql finds page info by field name
 * (`pageInfo`), never by type name, so the rename is safe for its resolvers.
 */
const renamedTypes: ReadonlyMap<string, string> = new Map([['PageInfo', 'GraphPageInfo']]);

/** The @neo4j/graphql input type definitions (schema/library-graph.graphql). */
export const readTypeDefs = (): Promise<string> => readFile(typeDefsFile, 'utf8');

// The printed SDL comes from the AST nodes (they carry the federation
// directives), so the rename has to reach them as well as the types.
function renameInAst<T extends ASTNode>(node: T | null | undefined): T | undefined {
  if (!node) return undefined;
  return visit(node, {
    Name(name, _key, parent) {
      const renamed = renamedTypes.get(name.value);
      const isTypeName =
        parent !== undefined &&
        !Array.isArray(parent) &&
        [Kind.NAMED_TYPE, Kind.OBJECT_TYPE_DEFINITION].includes((parent as ASTNode).kind);
      return renamed && isTypeName ? { ...name, value: renamed } : undefined;
    },
  });
}

/**
 * The executable subgraph schema @neo4j/graphql generates from the type
 * definitions, with {@link renamedTypes} applied. Without a driver it still
 * builds (for printing the SDL).
 */
export async function buildGraphSchema(driver?: Driver): Promise<GraphQLSchema> {
  const neo = new Neo4jGraphQL({ typeDefs: await readTypeDefs(), ...(driver ? { driver } : {}) });
  const schema = mapSchema(await neo.getSubgraphSchema(), {
    [MapperKind.OBJECT_TYPE]: (type) => {
      const config = type.toConfig();
      return new GraphQLObjectType({
        ...config,
        name: renamedTypes.get(type.name) ?? type.name,
        astNode: renameInAst(config.astNode),
      });
    },
    [MapperKind.OBJECT_FIELD]: (field) => ({ ...field, astNode: renameInAst(field.astNode) }),
  });
  // `_service { sdl }` was printed before the rename: serve the renamed one.
  const sdl = printSubgraphSchema(schema);
  const service = schema.getQueryType()?.getFields()._service;
  if (service) service.resolve = () => ({ sdl });
  return schema;
}
