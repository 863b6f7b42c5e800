// The gateway's HTTP routes, in the order express tries them. `server.ts`
// wires the parts (Apollo Server, subscriptions, metrics, authentication)
// and calls these two: every route but /graphql at construction, /graphql
// once Apollo Server has started.
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import compression from 'compression';
import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from '@tonegraph/logger';
import { AuthError, type Authenticator, credentialsOf, requireScope, type Principal } from './auth/index.ts';
import { mountConsole } from './console.ts';
import { mountCovers } from './covers.ts';
import { type ExportDeps, mountExport } from './export.ts';
import { mountStream, STREAM_PATH, type StreamDeps } from './stream.ts';
import { isSubsonicPath, mountSubsonicProxy } from './subsonic-proxy.ts';
import { getQueriesWithoutPreflight } from './http-conformance.ts';
import { batchLimit, bodyErrors, type HttpLimits } from './limits/http.ts';
import { type HealthDeps, mountHealth } from './observability/health.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import { requestScope } from './observability/request-context.ts';

/** graphql-ws shares the queries' path; SSE has its own (an HTTP POST there streams events). */
export const GRAPHQL_PATH = '/graphql';
export const SSE_PATH = '/graphql/stream';

/** A request for /graphql itself (queries over GET or POST), not the SSE stream or any other route. */
export const isGraphqlRequest = (url: string | undefined) =>
  url !== undefined &&
  (url === GRAPHQL_PATH || url.startsWith(`${GRAPHQL_PATH}?`) || url === `${GRAPHQL_PATH}/`);

/** A request for the stream route or the Subsonic API (audio: long-lived, already compressed). */
const isStreamPath = (path: string) => path.startsWith(`${STREAM_PATH}/`) || isSubsonicPath(path);

/**
 * Never compress event streams (gzip would hold events back until its buffer
 * fills) nor audio (already compressed; and gzip would break Range requests).
 */
const shouldCompress = (req: express.Request, res: express.Response) =>
  !req.path.startsWith(SSE_PATH) &&
  // originalUrl: under app.use('/rest', …) req.path has lost its mount point by the time this runs.
  !isStreamPath(req.originalUrl) &&
  !String(req.headers.accept ?? '').includes('text/event-stream') &&
  !String(res.getHeader('content-type') ?? '').includes('text/event-stream') &&
  compression.filter(req, res);

/** What {@link mountRoutes} serves. */
export interface RoutesDeps {
  readonly log: Logger;
  readonly limits: HttpLimits;
  readonly authenticator: Authenticator;
  readonly metrics: GatewayMetrics;
  /** /healthz and /readyz. */
  readonly health: HealthDeps;
  /** The track export (/export/tracks.ndjson). */
  readonly export: ExportDeps;
  /** The stream route (/stream/:trackId). */
  readonly stream: StreamDeps;
  /** graphql-sse handler of the subscriptions, served at {@link SSE_PATH}. */
  readonly sseHandler: RequestHandler;
  /** Compress responses over 1 KiB (never SSE). */
  readonly compression: boolean;
  /** Folder of the album covers served at /covers/; default in covers.ts. */
  readonly coverDir?: string | undefined;
  /** The Subsonic service proxied at /rest/ (SUBSONIC_URL); unset: /rest/ is not served. */
  readonly subsonicUrl?: string | undefined;
}

/**
 * Every route but /graphql: the request scope (deadline, child logger),
 * compression, /healthz and /readyz, /metrics, /console/, /covers/, the
 * track export, audio streams (/stream/), the Subsonic API proxy (/rest/,
 * when SUBSONIC_URL is set) and the SSE stream (`read` scope). Returns what
 * closes the proxy's connections.
 */
export function mountRoutes(app: Express, deps: RoutesDeps): () => Promise<void> {
  // Not around SSE streams: they outlive any deadline, and their event fetches (and the upstream socket
  // an SSE request may open) would inherit the request's scope — its signal would abort them all.
  const scope = requestScope({ log: deps.log, timeoutMs: deps.limits.requestTimeoutMs });
  // A stream lasts as long as the track plays: a scope (request id, logger) without a deadline.
  const untimed = requestScope({ log: deps.log, timeoutMs: 0 });
  app.use((req, res, next) =>
    req.path.startsWith(SSE_PATH)
      ? next()
      : isStreamPath(req.path)
        ? untimed(req, res, next)
        : scope(req, res, next),
  );
  if (deps.compression) app.use(compression({ threshold: 1024, filter: shouldCompress }));
  mountHealth(app, deps.health);
  app.get('/metrics', deps.metrics.handler());
  // The console page (console/dist) at /console/, same origin as /graphql.
  mountConsole(app);
  mountCovers(app, deps.coverDir ? { dir: deps.coverDir } : {});
  mountExport(app, deps.export);
  mountStream(app, deps.stream);
  const closeSubsonic = deps.subsonicUrl
    ? mountSubsonicProxy(app, { url: deps.subsonicUrl, log: deps.log })
    : () => Promise.resolve();
  // Before /graphql is mounted: express would otherwise hand /graphql/stream to Apollo.
  const reject = (code: string) => deps.metrics.reject(code);
  app.use(
    SSE_PATH,
    express.json({ limit: deps.limits.maxBodyBytes }),
    requireScope(deps.authenticator, 'read', 'Subscriptions need the "read" scope', reject),
    deps.sseHandler,
  );
  return closeSubsonic;
}

/** The context of every HTTP operation. */
export interface GatewayContext {
  readonly principal: Principal;
}

/** What {@link mountGraphql} serves. */
export interface GraphqlRouteDeps {
  /** Started. */
  readonly apollo: ApolloServer<GatewayContext>;
  readonly limits: HttpLimits;
  readonly authenticator: Authenticator;
  readonly metrics: GatewayMetrics;
  /** Entry admission's middleware (limits/entry-admission.ts), when on. */
  readonly admission?: RequestHandler | undefined;
}

/**
 * /graphql (queries and mutations over GET and POST, batches bounded), its
 * context the request's authenticated principal; then the body errors
 * (413, bad JSON) as GraphQL responses.
 */
export function mountGraphql(app: Express, deps: GraphqlRouteDeps): void {
  const { limits, metrics } = deps;
  app.use(
    GRAPHQL_PATH,
    ...(deps.admission ? [deps.admission] : []),
    getQueriesWithoutPreflight,
    express.json({ limit: limits.maxBodyBytes }),
    batchLimit(limits.maxBatch, (code) => metrics.reject(code)),
    expressMiddleware(deps.apollo, {
      context: async ({ req }) => {
        try {
          return { principal: await deps.authenticator.authenticate(credentialsOf(req.headers)) };
        } catch (error) {
          if (error instanceof AuthError) metrics.reject(String(error.extensions.code));
          throw error;
        }
      },
    }),
  );
  app.use(bodyErrors(limits.maxBodyBytes, (code) => metrics.reject(code)));
}
