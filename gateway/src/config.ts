import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { env, loadConfig } from '@tonegraph/config';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const subgraphUrl = env.url(['http', 'https']).optional();

const schema = z.object({
  /** Port of /graphql, health and metrics. */
  PORT: env.port(4000),
  HOST: z.string().default('127.0.0.1'),
  /** The composed supergraph (`npm run compose`). */
  SUPERGRAPH_PATH: z.string().default(path.join(repoRoot, 'schema', 'supergraph.graphql')),
  /** Override a subgraph's URL from the supergraph, e.g. CATALOG_URL=http://catalog:4001/graphql. */
  CATALOG_URL: subgraphUrl,
  ANALYSIS_URL: subgraphUrl,
  LIBRARY_GRAPH_URL: subgraphUrl,
  /** Time allowed for one subgraph fetch. */
  SUBGRAPH_TIMEOUT_MS: env.millis(10_000),
  /** `development` serves the Sandbox landing page; `production` does not. */
  TONEGRAPH_ENV: z.enum(['development', 'production']).default('development'),
  LOG_LEVEL: env.logLevel(),
});

export type GatewayConfig = z.output<typeof schema>;

export const loadGatewayConfig = (): GatewayConfig => loadConfig('gateway', schema);

/** Subgraph name (as in the supergraph) → URL override, from the config. */
export function subgraphUrlOverrides(config: GatewayConfig): Record<string, string> {
  const overrides: Record<string, string | undefined> = {
    catalog: config.CATALOG_URL,
    analysis: config.ANALYSIS_URL,
    'library-graph': config.LIBRARY_GRAPH_URL,
  };
  return Object.fromEntries(
    Object.entries(overrides).filter((e): e is [string, string] => e[1] !== undefined),
  );
}
