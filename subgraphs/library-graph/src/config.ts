import { z } from 'zod';
import { env, loadConfig, servicesSchema } from '@tonegraph/config';

const schema = servicesSchema
  .pick({ NEO4J_URL: true })
  .extend({
    /** Neo4j user; unset means no authentication (the local stack). */
    NEO4J_USER: z.string().optional(),
    /** Neo4j password, with NEO4J_USER. */
    NEO4J_PASSWORD: z.string().optional(),
    /** Neo4j database; unset means the server's default (`neo4j`). */
    NEO4J_DATABASE: z.string().optional(),
    /** Bolt connections in the driver's pool (20–50 per the design). */
    NEO4J_POOL_SIZE: env.int(30, 20, 50),
    /** Neo4j transaction timeout of a GraphQL request's queries, in ms; 0: the server's default. */
    GRAPH_QUERY_TIMEOUT_MS: env.millis(10_000),
    PORT: env.port(4003),
    /** Subgraphs are reached through the gateway only: loopback by default. */
    HOST: z.string().default('127.0.0.1'),
    /** Share PORT with another instance (SO_REUSEPORT, Linux): start the new one, then SIGTERM the old. */
    REUSE_PORT: env.bool(false),
    /** Shared with the gateway: requests without it get 401 (unset: development, unsigned accepted). */
    SUBGRAPH_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
    LOG_LEVEL: env.logLevel(),
  })
  .refine((c) => (c.NEO4J_USER === undefined) === (c.NEO4J_PASSWORD === undefined), {
    path: ['NEO4J_PASSWORD'],
    error: 'NEO4J_USER and NEO4J_PASSWORD go together',
  });

export type LibraryGraphConfig = z.output<typeof schema>;

export const loadLibraryGraphConfig = (): LibraryGraphConfig => loadConfig('library-graph', schema);
