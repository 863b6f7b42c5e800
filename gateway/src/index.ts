import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { createLifecycle } from '@tonegraph/lifecycle';
import { createLogger } from '@tonegraph/logger';
import { parseApiKeys, readJwtKeyFiles, type AuthOptions } from './auth/index.ts';
import { loadGatewayConfig, subgraphUrlOverrides } from './config.ts';
import { createServer } from './server.ts';

const config = loadGatewayConfig();
const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log });
lifecycle.handleSignals();

let auth: AuthOptions = 'off';
if (config.auth) {
  const keyFiles = await readJwtKeyFiles({
    publicKeyFile: config.GATEWAY_JWT_PUBLIC_KEY_FILE,
    jwksFile: config.GATEWAY_JWT_JWKS_FILE,
  });
  const jwt = {
    ...keyFiles,
    ...(config.GATEWAY_JWT_SECRET ? { secret: config.GATEWAY_JWT_SECRET } : {}),
    ...(config.GATEWAY_JWT_JWKS_URL ? { jwksUrl: config.GATEWAY_JWT_JWKS_URL } : {}),
    ...(config.GATEWAY_JWT_ISSUER ? { issuer: config.GATEWAY_JWT_ISSUER } : {}),
    ...(config.GATEWAY_JWT_AUDIENCE ? { audience: config.GATEWAY_JWT_AUDIENCE } : {}),
  };
  auth = {
    ...(config.GATEWAY_API_KEYS ? { apiKeys: parseApiKeys(config.GATEWAY_API_KEYS) } : {}),
    jwt,
  };
} else {
  log.warn(
    { env: config.TONEGRAPH_ENV, host: config.HOST },
    'authentication is OFF: every request has every scope',
  );
}
if (!config.SUBGRAPH_SECRET) log.warn('SUBGRAPH_SECRET is not set: subgraph requests are not signed');
if (!config.STREAM_SECRET)
  log.warn('STREAM_SECRET is not set: signed /stream URLs are refused (credentials only)');

let redis: Redis | undefined;
if (config.REDIS_URL) {
  redis = new Redis(config.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', (err) => log.warn({ err }, 'redis'));
  const client = redis;
  lifecycle.defer('redis', () => client.quit());
}

const supergraphSdl = await readFile(config.SUPERGRAPH_PATH, 'utf8');
const gateway = createServer({
  supergraphSdl,
  subgraphUrls: subgraphUrlOverrides(config),
  subgraphTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  subgraphConnections: config.SUBGRAPH_CONNECTIONS,
  deduplicateFetches: config.GATEWAY_DEDUPLICATE_FETCHES,
  admission: {
    maxConcurrent: config.SUBGRAPH_MAX_CONCURRENT,
    maxQueue: config.SUBGRAPH_MAX_QUEUE,
    maxWaitMs: config.SUBGRAPH_MAX_QUEUE_WAIT_MS,
  },
  entryAdmission: {
    maxConcurrent: config.GATEWAY_MAX_IN_FLIGHT,
    maxQueue: config.GATEWAY_MAX_QUEUE,
    maxWaitMs: config.GATEWAY_MAX_QUEUE_WAIT_MS,
  },
  ...(config.GATEWAY_RESPONSE_CACHE && redis
    ? {
        responseCache: {
          prefix: config.REDIS_PREFIX,
          ttlSeconds: config.GATEWAY_RESPONSE_CACHE_TTL_S,
          maxBytes: config.GATEWAY_RESPONSE_CACHE_MAX_MB * 1024 * 1024,
        },
      }
    : {}),
  development: config.TONEGRAPH_ENV === 'development',
  auth,
  subgraphSecret: config.SUBGRAPH_SECRET,
  coverDir: config.COVER_DIR,
  subsonicUrl: config.SUBSONIC_URL,
  stream: {
    secret: config.STREAM_SECRET,
    maxTranscodes: config.STREAM_MAX_TRANSCODES,
    lookupTtlMs: config.STREAM_LOOKUP_TTL_MS,
  },
  log,
  limits: {
    maxDepth: config.GATEWAY_MAX_DEPTH,
    maxAliases: config.GATEWAY_MAX_ALIASES,
    maxRootFields: config.GATEWAY_MAX_ROOT_FIELDS,
    maxCost: config.GATEWAY_MAX_COST,
    maxPageSize: config.GATEWAY_MAX_PAGE_SIZE,
    maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
    maxBatch: config.GATEWAY_MAX_BATCH,
    requestTimeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS,
  },
  wsLimits: {
    maxConnectionsPerIp: config.GATEWAY_WS_MAX_CONNECTIONS_PER_IP,
    maxSubscriptionsPerConnection: config.GATEWAY_WS_MAX_SUBSCRIPTIONS,
    keepAliveMs: config.GATEWAY_WS_KEEPALIVE_MS,
    maxBufferedBytes: config.GATEWAY_WS_MAX_BUFFERED_BYTES,
    maxPayloadBytes: config.GATEWAY_MAX_BODY_BYTES,
  },
  introspection: config.introspection,
  landingPage: config.landingPage,
  compression: config.GATEWAY_COMPRESSION,
  redis,
  apqTtlSeconds: config.GATEWAY_APQ_TTL_S,
  shutdownDelayMs: config.GATEWAY_SHUTDOWN_DELAY_MS,
});
await gateway.start();
lifecycle.defer('gateway', () => gateway.stop());

await new Promise<void>((resolve, reject) => {
  gateway.httpServer.once('error', reject);
  gateway.httpServer.listen({ port: config.PORT, host: config.HOST, reusePort: config.REUSE_PORT }, resolve);
});
log.info(
  {
    url: `http://${config.HOST}:${config.PORT}/graphql`,
    subscriptions: [
      `ws://${config.HOST}:${config.PORT}/graphql`,
      `http://${config.HOST}:${config.PORT}/graphql/stream`,
    ],
    subgraphs: Object.fromEntries(gateway.subgraphs),
    auth: config.auth ? 'on' : 'off',
    responseCache: config.GATEWAY_RESPONSE_CACHE && redis ? 'on' : 'off',
    signed: Boolean(config.SUBGRAPH_SECRET),
  },
  'gateway listening',
);
