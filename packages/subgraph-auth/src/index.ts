import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The header the gateway sets on every subgraph HTTP request. */
export const SUBGRAPH_SECRET_HEADER = 'x-tonegraph-subgraph-secret';
/** The graphql-ws `connection_init` payload key the gateway sets for upstream subscriptions. */
export const SUBGRAPH_SECRET_PARAM = 'subgraphSecret';
/** Paths a load balancer or the gateway probes without the secret. */
export const OPEN_PATHS: readonly string[] = ['/health', '/ready', '/healthz', '/readyz'];
/** graphql-ws close code for a refused `connection_init` (as graphql-ws uses 4403 for "Forbidden"). */
export const CLOSE_UNAUTHORIZED = 4401;

/** Options for {@link createSubgraphAuth}. */
export interface SubgraphAuthOptions {
  /**
   * The secret shared with the gateway (`SUBGRAPH_SECRET`). Unset or empty:
   * development mode, every request is accepted and one warning is logged.
   */
  readonly secret: string | undefined;
  /** Receives the development-mode warning, once. */
  readonly log: { warn(fields: object, message: string): void };
  /** Subgraph name, for the warning. */
  readonly service: string;
}

type Next = (error?: unknown) => void;

/** The part of graphql-ws's server context the check reads (the `ws` adapter's `extra.socket`). */
export interface GraphqlWsContext {
  readonly connectionParams?: Readonly<Record<string, unknown>> | undefined;
  readonly extra?: unknown;
}

export interface SubgraphAuth {
  /** True when a secret is configured (requests are checked). */
  readonly enforced: boolean;
  /** express middleware: 401 for a request without the secret, except {@link OPEN_PATHS}. */
  readonly middleware: (req: IncomingMessage & { path?: string }, res: ServerResponse, next: Next) => void;
  /**
   * graphql-ws `onConnect`: refuses a `connection_init` without the secret,
   * closing with 4401 Unauthorized (graphql-ws's own code).
   */
  readonly onConnect: (ctx: GraphqlWsContext) => boolean;
  /** Checks one presented value against the secret in constant time. */
  verify(presented: unknown): boolean;
}

// Hashing both sides gives equal lengths, which timingSafeEqual needs, without leaking the length.
const digest = (value: string) => createHash('sha256').update(value).digest();

export function createSubgraphAuth(options: SubgraphAuthOptions): SubgraphAuth {
  const secret = options.secret ?? '';
  const enforced = secret.length > 0;
  if (!enforced) {
    options.log.warn(
      { service: options.service },
      'SUBGRAPH_SECRET is not set: accepting unsigned requests (development mode only)',
    );
  }
  const expected = digest(secret);
  const verify = (presented: unknown): boolean => {
    if (!enforced) return true;
    return typeof presented === 'string' && timingSafeEqual(digest(presented), expected);
  };
  return {
    enforced,
    verify,
    middleware(req, res, next) {
      const path = req.path ?? new URL(req.url ?? '/', 'http://x').pathname;
      if (!enforced || OPEN_PATHS.includes(path) || verify(req.headers[SUBGRAPH_SECRET_HEADER])) {
        next();
        return;
      }
      res.statusCode = 401;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          errors: [
            {
              message: 'This subgraph accepts only requests signed by the gateway',
              extensions: { code: 'UNAUTHENTICATED' },
            },
          ],
        }),
      );
    },
    onConnect(ctx) {
      if (verify(ctx.connectionParams?.[SUBGRAPH_SECRET_PARAM])) return true;
      const socket = (ctx.extra as { socket?: { close(code: number, reason: string): void } } | undefined)
        ?.socket;
      // Returning false alone would close with 4403; a missing signature is 4401, as over HTTP.
      socket?.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
      return false;
    },
  };
}
