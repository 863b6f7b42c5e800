import { readFile } from 'node:fs/promises';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { type GraphQLSchema, parse } from 'graphql';

/**
 * The executable subgraph schema of an SDL file (one of `schema/*.graphql`)
 * and its resolvers. Read asynchronously: it runs at start-up, in `createServer`.
 */
export async function subgraphSchemaFrom(sdlFile: URL, resolvers: object): Promise<GraphQLSchema> {
  return buildSubgraphSchema({
    typeDefs: parse(await readFile(sdlFile, 'utf8')),
    // Resolvers are typed by their own parameters; the subgraph API takes an untyped map.
    resolvers: resolvers as GraphQLResolverMap<unknown>,
  });
}
