// A stock @apollo/gateway: Apollo Server's standalone server and ApolloGateway
// on the static supergraph, nothing else (no limits, auth, metrics, request
// scope, compression or subscriptions). The only addition is the subgraph
// secret header, without which the subgraphs answer 401. The baseline of
// `npm run bench -- gateway`.
//   PORT=… CATALOG_URL=… ANALYSIS_URL=… LIBRARY_GRAPH_URL=… SUBGRAPH_SECRET=… node bench/support/stock-gateway.ts
import { readFile } from 'node:fs/promises';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

const urls: Record<string, string | undefined> = {
  catalog: process.env.CATALOG_URL,
  analysis: process.env.ANALYSIS_URL,
  'library-graph': process.env.LIBRARY_GRAPH_URL,
};
const secret = process.env.SUBGRAPH_SECRET;

const gateway = new ApolloGateway({
  supergraphSdl: await readFile(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8'),
  buildService: ({ name, url }) => {
    const target = urls[name] ?? url;
    return new RemoteGraphQLDataSource({
      ...(target === undefined ? {} : { url: target }),
      willSendRequest({ request }) {
        if (secret) request.http?.headers.set('x-tonegraph-subgraph-secret', secret);
      },
    });
  },
});
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 4100), host: '127.0.0.1' },
});
process.stdout.write(`stock gateway at ${url}\n`);
const stop = () => {
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
