// Hive Gateway (`@graphql-hive/gateway`'s CLI) as a baseline of `npm run bench -- gateway`:
// the same supergraph (its subgraph URLs rewritten to the bench's ports, HIVE_SUPERGRAPH_PATH)
// and nothing else but the subgraph secret on every subgraph request, without which the
// subgraphs answer 401. Everything else is as shipped.
//   started by bench/support/hive-gateway.ts
// A plain object rather than `defineConfig(…)`: importing @graphql-hive/gateway's types would bring
// its augmentation of GraphQLError into the repository's type program.

const secret = process.env.SUBGRAPH_SECRET;

export const gatewayConfig = {
  supergraph: process.env.HIVE_SUPERGRAPH_PATH ?? 'schema/supergraph.graphql',
  propagateHeaders: {
    fromClientToSubgraphs: () => (secret ? { 'x-tonegraph-subgraph-secret': secret } : {}),
  },
};
