export { DateTime } from './date-time.ts';
export { type ListenOptions, listen } from './listen.ts';
export { subgraphSchemaFrom } from './schema.ts';
export {
  GRAPHQL_PATH,
  type Readiness,
  type SubgraphServer,
  type SubgraphServerOptions,
  createSubgraphServer,
} from './server.ts';
