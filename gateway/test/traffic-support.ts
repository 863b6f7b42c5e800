// A local fake subgraph for the gateway's traffic tests: every answer waits
// for the test to open a gate, so a test decides how many fetches are in
// flight at once without depending on timing; it counts what reaches it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { buildSubgraphSchema } from '@apollo/subgraph';
import express from 'express';
import { parse } from 'graphql';
import type { Registry } from 'prom-client';

const sdl = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { echo(tag: String!): String! }
  type Mutation { touch(tag: String!): String! }
`);

export interface GatedSubgraph {
  readonly url: string;
  /** The supergraph of this subgraph alone (name `gated`). */
  readonly supergraphSdl: string;
  /** Requests that reached the subgraph. */
  readonly requests: number;
  /** Requests whose connection closed before they were answered (the gateway aborted them). */
  readonly abandoned: number;
  /** Lets every waiting and future request be answered. */
  open(): void;
  /** Holds the next requests again. */
  close(): void;
  stop(): Promise<void>;
}

/** `echo(tag)` answers `tag`; a tag starting with `fail` gets HTTP 500 instead. */
export async function startGatedSubgraph(): Promise<GatedSubgraph> {
  let release!: () => void;
  let gate = new Promise<void>((resolve) => (release = resolve));
  let requests = 0;
  let abandoned = 0;
  const schema = buildSubgraphSchema({
    typeDefs: sdl,
    resolvers: {
      Query: { echo: (_: unknown, { tag }: { tag: string }) => tag },
      Mutation: { touch: (_: unknown, { tag }: { tag: string }) => tag },
    },
  });
  const apollo = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await apollo.start();
  const app = express();
  app.use(express.json(), (req, res, next) => {
    requests++;
    res.once('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    void gate.then(() => {
      if (JSON.stringify(req.body).includes('fail'))
        res.status(500).json({ errors: [{ message: 'failed' }] });
      else next();
    });
  });
  app.use('/graphql', expressMiddleware(apollo));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const composed = composeServices([{ name: 'gated', url, typeDefs: sdl }]);
  if (composed.errors) throw new Error(composed.errors.map(String).join('\n'));
  return {
    url,
    supergraphSdl: composed.supergraphSdl,
    get requests() {
      return requests;
    },
    get abandoned() {
      return abandoned;
    },
    open: () => release(),
    close: () => {
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    stop: async () => {
      release();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await apollo.stop();
    },
  };
}

/** Asks `echo(tag)` of the gated subgraph through a gateway at `url`. */
export const askEcho = (url: string, tag: string, signal?: AbortSignal) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query ($t: String!) { echo(tag: $t) }', variables: { t: tag } }),
    ...(signal ? { signal } : {}),
  });

/** A metric's value for the given labels (0 when never counted). */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}
