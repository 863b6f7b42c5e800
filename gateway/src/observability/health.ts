import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { subgraphHeaders } from '../subgraph-fetch.ts';

export interface HealthDeps {
  /** Subgraph name → URL, filled once the supergraph is loaded. */
  readonly subgraphs: ReadonlyMap<string, string>;
  readonly secret: string | undefined;
  readonly redis?: Redis | undefined;
  /** True once the supergraph is loaded and /graphql mounted. */
  started(): boolean;
  /** True from SIGTERM on: load balancers must stop sending new work. */
  stopping(): boolean;
}

async function probeSubgraph(url: string, secret: string | undefined): Promise<string> {
  try {
    const r = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...subgraphHeaders(secret) },
      body: JSON.stringify({ query: '{ __typename }' }),
      signal: AbortSignal.timeout(2000),
    });
    return r.ok ? 'ok' : `http ${r.status}`;
  } catch (error) {
    return error instanceof Error ? error.message : 'unreachable';
  }
}

async function probeRedis(redis: Redis): Promise<string> {
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
    ]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : 'unreachable';
  }
}

/**
 * `/healthz` (alias `/health`): the process answers. `/readyz` (alias
 * `/ready`): supergraph loaded, not shutting down, every subgraph answers
 * `{ __typename }` (signed), and Redis answers PING when APQ uses it.
 */
export function mountHealth(app: Express, deps: HealthDeps): void {
  app.get(['/healthz', '/health'], (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get(['/readyz', '/ready'], async (_req, res) => {
    if (deps.stopping() || !deps.started()) {
      res.status(503).json({ status: deps.stopping() ? 'stopping' : 'starting' });
      return;
    }
    const [subgraphs, redis] = await Promise.all([
      Promise.all(
        [...deps.subgraphs].map(
          async ([name, url]) => [name, await probeSubgraph(url, deps.secret)] as const,
        ),
      ),
      deps.redis ? probeRedis(deps.redis) : undefined,
    ]);
    const ready = subgraphs.every(([, s]) => s === 'ok') && (redis === undefined || redis === 'ok');
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      subgraphs: Object.fromEntries(subgraphs),
      ...(redis !== undefined ? { redis } : {}),
    });
  });
}
