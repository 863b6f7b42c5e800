import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { env, loadConfig, parseConfig } from '@tonegraph/config';
import { parseApiKeys } from './auth/api-keys.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const subgraphUrl = env.url(['http', 'https']).optional();
const onOff = z.enum(['on', 'off'], { error: 'expected on or off' }).optional();

const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

const schema = z
  .object({
    /** Port of /graphql, health and metrics. */
    PORT: env.port(4000),
    HOST: z.string().default('127.0.0.1'),
    /** Share PORT with another instance (SO_REUSEPORT, Linux): start the new one, then SIGTERM the old. */
    REUSE_PORT: env.bool(false),
    /** The composed supergraph (`npm run compose`). */
    SUPERGRAPH_PATH: z.string().default(path.join(repoRoot, 'schema', 'supergraph.graphql')),
    /** Override a subgraph's URL from the supergraph, e.g. CATALOG_URL=http://catalog:4001/graphql. */
    CATALOG_URL: subgraphUrl,
    ANALYSIS_URL: subgraphUrl,
    LIBRARY_GRAPH_URL: subgraphUrl,
    /** Time allowed for one subgraph fetch. */
    SUBGRAPH_TIMEOUT_MS: env.millis(10_000),
    /** Keep-alive connections to each subgraph, at most (more fetches wait their turn). */
    SUBGRAPH_CONNECTIONS: env.int(64, 1),
    /** Identical subgraph queries in flight at once share one fetch (never mutations). */
    GATEWAY_DEDUPLICATE_FETCHES: env.bool(true),
    /** Fetches in flight to each subgraph at once, at most; more wait in the gateway's queue. */
    SUBGRAPH_MAX_CONCURRENT: env.int(64, 1),
    /** Fetches waiting per subgraph, at most; beyond it a request is answered 503 OVERLOADED at once. */
    SUBGRAPH_MAX_QUEUE: env.int(256, 0),
    /** Longest a fetch waits for its turn before its request is answered 503 OVERLOADED; 0: no bound. */
    SUBGRAPH_MAX_QUEUE_WAIT_MS: env.millis(1000),
    /** GraphQL HTTP requests executed at once, at most; more wait for their turn. */
    GATEWAY_MAX_IN_FLIGHT: env.int(128, 1),
    /** GraphQL HTTP requests waiting, at most; beyond it a request is answered 503 OVERLOADED at once. */
    GATEWAY_MAX_QUEUE: env.int(2048, 0),
    /**
     * Longest a request waits for its turn before it is answered 503 OVERLOADED; 0 (the default): no bound
     * but its deadline (GATEWAY_REQUEST_TIMEOUT_MS) — only what could not be answered in time is shed.
     */
    GATEWAY_MAX_QUEUE_WAIT_MS: env.millis(0),
    /** `development` serves Sandbox and introspection and allows auth off by default; `production` does not. */
    TONEGRAPH_ENV: z.enum(['development', 'production']).default('development'),
    LOG_LEVEL: env.logLevel(),

    /** `on`/`off`; default off only in development on a loopback HOST, on otherwise. */
    GATEWAY_AUTH: onOff,
    /** `name:key:scope+scope,…` (scopes `read`, `admin`). */
    GATEWAY_API_KEYS: z
      .string()
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return;
        try {
          parseApiKeys(v);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    /** HS256 secret (at least 32 characters). */
    GATEWAY_JWT_SECRET: z.string().min(32, 'use at least 32 characters').optional(),
    /** RS256 public key, a PEM (SPKI) file. */
    GATEWAY_JWT_PUBLIC_KEY_FILE: z.string().optional(),
    /** RS256 keys, a JWKS JSON file. */
    GATEWAY_JWT_JWKS_FILE: z.string().optional(),
    /** RS256 keys, a JWKS URL (fetched and cached). */
    GATEWAY_JWT_JWKS_URL: env.url(['https', 'http']).optional(),
    GATEWAY_JWT_ISSUER: z.string().optional(),
    GATEWAY_JWT_AUDIENCE: z.string().optional(),
    /** Sent to every subgraph; they refuse requests without it. Unset: subgraphs run unsigned (dev). */
    SUBGRAPH_SECRET: z.string().min(16, 'use at least 16 characters').optional(),

    GATEWAY_INTROSPECTION: onOff,
    GATEWAY_LANDING_PAGE: onOff,
    /** gzip/deflate/br of HTTP responses over 1 KiB (never SSE). */
    GATEWAY_COMPRESSION: env.bool(true),
    /** Redis for automatic persisted queries (shared by every gateway); unset: in-memory LRU. */
    REDIS_URL: env.url(['redis', 'rediss']).optional(),
    GATEWAY_APQ_TTL_S: env.int(86_400, 1),
    /** Prefix of Redis channels shared with ingest and the catalog (change notices). */
    REDIS_PREFIX: z.string().default('tonegraph:'),
    /** Whole-response cache for queries, emptied by change notices; needs REDIS_URL. */
    GATEWAY_RESPONSE_CACHE: env.bool(true),
    /** Longest a cached response is kept without a change notice. */
    GATEWAY_RESPONSE_CACHE_TTL_S: env.int(300, 1),
    /** Memory the cached responses may take. */
    GATEWAY_RESPONSE_CACHE_MAX_MB: env.int(64, 1),

    GATEWAY_MAX_DEPTH: env.int(15),
    GATEWAY_MAX_ALIASES: env.int(30, 0),
    GATEWAY_MAX_ROOT_FIELDS: env.int(10),
    GATEWAY_MAX_COST: env.int(25_000),
    GATEWAY_MAX_PAGE_SIZE: env.int(500),
    GATEWAY_MAX_BODY_BYTES: env.int(1024 * 1024, 1024),
    GATEWAY_MAX_BATCH: env.int(10),
    /** Whole-request deadline; aborts the request's subgraph fetches still in flight. */
    GATEWAY_REQUEST_TIMEOUT_MS: env.millis(30_000),
    GATEWAY_WS_MAX_CONNECTIONS_PER_IP: env.int(50),
    GATEWAY_WS_MAX_SUBSCRIPTIONS: env.int(100),
    GATEWAY_WS_KEEPALIVE_MS: env.millis(12_000),
    GATEWAY_WS_MAX_BUFFERED_BYTES: env.int(4 * 1024 * 1024, 1024),
    /** After SIGTERM, answer /readyz 503 this long before closing the listener (load balancers notice). */
    GATEWAY_SHUTDOWN_DELAY_MS: env.millis(0),
    /** Album covers stored by ingest (its COVER_DIR), served at /covers/. */
    COVER_DIR: z.string().default('.covers'),
    /** The Subsonic service (`subsonic/`), proxied at /rest/ so players need only the gateway; unset: no /rest/. */
    SUBSONIC_URL: env.url(['http', 'https']).optional(),
    /**
     * Verifies the signed stream URLs the catalog hands out (`Track.streamUrl`); the catalog's value.
     * Unset: signed URLs are refused (403) and /stream takes credentials only.
     */
    STREAM_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
    /** ffmpeg transcodes running at once; past it /stream answers 503 with Retry-After. Default: the cores. */
    STREAM_MAX_TRANSCODES: env.int(availableParallelism(), 1, 1024),
    /** How long /stream reuses the catalog's answer for a track (its file and format), ms; 0: ask every time. */
    STREAM_LOOKUP_TTL_MS: env.millis(5000),
  })
  .transform((c) => {
    const development = c.TONEGRAPH_ENV === 'development';
    return {
      ...c,
      auth: (c.GATEWAY_AUTH ?? (development && isLoopback(c.HOST) ? 'off' : 'on')) === 'on',
      introspection: (c.GATEWAY_INTROSPECTION ?? (development ? 'on' : 'off')) === 'on',
      landingPage: (c.GATEWAY_LANDING_PAGE ?? (development ? 'on' : 'off')) === 'on',
    };
  })
  .superRefine((c, ctx) => {
    const jwt =
      c.GATEWAY_JWT_SECRET ??
      c.GATEWAY_JWT_PUBLIC_KEY_FILE ??
      c.GATEWAY_JWT_JWKS_FILE ??
      c.GATEWAY_JWT_JWKS_URL;
    if (c.auth && !c.GATEWAY_API_KEYS && !jwt) {
      ctx.addIssue({
        code: 'custom',
        path: ['GATEWAY_AUTH'],
        message:
          'authentication is on (the default outside development on loopback) but no GATEWAY_API_KEYS or ' +
          'GATEWAY_JWT_* is set; configure one, or set GATEWAY_AUTH=off on purpose',
      });
    }
  });

export type GatewayConfig = z.output<typeof schema>;

export const loadGatewayConfig = (): GatewayConfig => loadConfig('gateway', schema);

/** Parses a given environment; throws a ConfigError listing every bad value (tests). */
export const parseGatewayConfig = (
  environment: Readonly<Record<string, string | undefined>>,
): GatewayConfig => parseConfig('gateway', schema, environment);

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
