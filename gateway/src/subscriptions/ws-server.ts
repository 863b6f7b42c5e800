import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { type WebSocket, WebSocketServer } from 'ws';
import { ANONYMOUS, AuthError, type Authenticator, type Principal } from '../auth/index.ts';
import { errorsOf, formatErrors, type FormatError } from './errors.ts';
import type { SubscriptionExecutor } from './executor.ts';
import { isRequestErrors, preparedOf, type PreparedSubscription, type SubscriptionPlanner } from './plan.ts';

/** Bounds on the WebSocket transport. */
export interface WsLimits {
  /** Open connections per client IP address; more are refused with HTTP 429 at the upgrade. Default 50. */
  readonly maxConnectionsPerIp: number;
  /** Subscriptions running on one connection; more get TOO_MANY_SUBSCRIPTIONS. Default 100. */
  readonly maxSubscriptionsPerConnection: number;
  /** Ping interval; a client that misses a pong by the next ping is terminated. Default 12000 ms. */
  readonly keepAliveMs: number;
  /**
   * Bytes a client may leave unread: a socket whose unsent bytes stay above
   * this on two checks a second apart is closed with 1013 (slow consumer). Default 4 MiB.
   */
  readonly maxBufferedBytes: number;
  /** Largest message accepted from a client, in bytes. Default 1 MiB. */
  readonly maxPayloadBytes: number;
}

export const DEFAULT_WS_LIMITS: WsLimits = {
  maxConnectionsPerIp: 50,
  maxSubscriptionsPerConnection: 100,
  keepAliveMs: 12_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxPayloadBytes: 1024 * 1024,
};

/** Close codes and error codes the WebSocket transport uses beyond graphql-ws's own. */
export const WsCode = {
  /** RFC 6455 "Try Again Later": the client did not read its messages fast enough. */
  SlowConsumer: 1013,
  /** The rejection code counted in metrics for a slow consumer. */
  SlowConsumerCode: 'SLOW_CONSUMER',
  TooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  TooManyConnections: 'TOO_MANY_CONNECTIONS',
} as const;

export interface WsServerDeps {
  readonly httpServer: Server;
  /** Same path as HTTP queries: clients and Sandbox use one URL for everything. */
  readonly path: string;
  readonly planner: SubscriptionPlanner;
  readonly executor: SubscriptionExecutor;
  readonly formatError: FormatError;
  readonly authenticator?: Authenticator | undefined;
  /** Extra checks on a prepared subscription (operation limits); errors refuse it. */
  readonly guard?: ((prepared: PreparedSubscription) => GraphQLError | undefined) | undefined;
  readonly limits?: Partial<WsLimits> | undefined;
  /** Called with each refusal's code, for metrics. */
  readonly onReject?: ((code: string) => void) | undefined;
  /** Called with +1 / -1 as client connections open and close. */
  readonly onConnection?: ((delta: 1 | -1) => void) | undefined;
}

interface Extra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
}

/** How often unsent bytes are checked. */
const SWEEP_MS = 1000;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const ipOf = (request: IncomingMessage) => request.socket.remoteAddress ?? 'unknown';

/**
 * graphql-ws (graphql-transport-ws protocol) on the HTTP server's path, with
 * authentication in `connection_init` (4401 / 4403) and per-client limits.
 * Returns `dispose`, which closes every client with 1001 Going away.
 */
export function createWsServer(deps: WsServerDeps): { dispose(): Promise<void> } {
  const { planner, executor, formatError } = deps;
  const limits = { ...DEFAULT_WS_LIMITS, ...deps.limits };
  const perIp = new Map<string, number>();
  const principals = new WeakMap<WebSocket, Principal>();
  const wss = new WebSocketServer({
    server: deps.httpServer,
    path: deps.path,
    // Same bound on a message as express.json puts on an HTTP body (ws defaults to 100 MiB).
    maxPayload: limits.maxPayloadBytes,
    verifyClient: (info, accept) => {
      if ((perIp.get(ipOf(info.req)) ?? 0) >= limits.maxConnectionsPerIp) {
        deps.onReject?.(WsCode.TooManyConnections);
        accept(false, 429, 'Too many WebSocket connections from this address');
      } else accept(true);
    },
  });
  wss.on('connection', (socket, request) => {
    const ip = ipOf(request);
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    deps.onConnection?.(1);
    socket.once('close', () => {
      const n = (perIp.get(ip) ?? 1) - 1;
      if (n > 0) perIp.set(ip, n);
      else perIp.delete(ip);
      deps.onConnection?.(-1);
    });
  });
  // graphql-ws awaits each send, so one subscription has at most one message in the socket and its
  // events queue (64, oldest dropped) behind it; but that message can be large, and a connection can
  // carry many subscriptions. A client that stops reading altogether also stops answering pings and
  // is terminated by the keep-alive.
  const strikes = new WeakMap<WebSocket, number>();
  const sweep = setInterval(() => {
    for (const socket of wss.clients) {
      if (socket.readyState !== socket.OPEN) continue;
      if (socket.bufferedAmount <= limits.maxBufferedBytes) {
        strikes.delete(socket);
        continue;
      }
      const n = (strikes.get(socket) ?? 0) + 1;
      strikes.set(socket, n);
      if (n >= 2) {
        deps.onReject?.(WsCode.SlowConsumerCode);
        socket.close(WsCode.SlowConsumer, 'Slow consumer: too many unread bytes');
      }
    }
  }, SWEEP_MS);
  sweep.unref();
  const server = useServer(
    {
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra as unknown as Extra;
        if (!deps.authenticator?.enabled) {
          principals.set(socket, ANONYMOUS);
          return true;
        }
        const params = ctx.connectionParams ?? {};
        try {
          const principal = await deps.authenticator.authenticate({
            authorization:
              str(params.authorization) ?? str(params.Authorization) ?? request.headers.authorization,
            apiKey: str(params.apiKey) ?? str(request.headers['x-api-key']),
          });
          if (!principal.scopes.has('read')) throw new AuthError(403, 'Subscriptions need the "read" scope');
          principals.set(socket, principal);
          return true;
        } catch (error) {
          const refused = error instanceof AuthError ? error : new AuthError(401, 'Authentication failed');
          deps.onReject?.(String(refused.extensions.code));
          // graphql-ws's own codes: 4401 Unauthorized, 4403 Forbidden; the reason is the message.
          socket.close(
            refused.status === 401 ? CloseCode.Unauthorized : CloseCode.Forbidden,
            refused.message,
          );
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        if (Object.keys(ctx.subscriptions).length > limits.maxSubscriptionsPerConnection) {
          deps.onReject?.(WsCode.TooManySubscriptions);
          return [
            new GraphQLError(
              `At most ${limits.maxSubscriptionsPerConnection} subscriptions may run on one connection`,
              {
                extensions: {
                  code: WsCode.TooManySubscriptions,
                  limit: limits.maxSubscriptionsPerConnection,
                },
              },
            ),
          ];
        }
        const prepared = planner.prepare(payload);
        if (isRequestErrors(prepared)) return prepared;
        const refused = deps.guard?.(prepared);
        if (refused) {
          deps.onReject?.(String(refused.extensions.code));
          return [refused];
        }
        return {
          schema: prepared.schemas.api,
          document: prepared.document,
          operationName: payload.operationName,
          variableValues: prepared.variables,
          contextValue: { prepared },
        };
      },
      subscribe: (args) => executor.run(preparedOf(args)),
      // onSubscribe lets only subscriptions through; this is never reached.
      execute: () => ({ errors: [] }),
      onNext: (_ctx, _id, _payload, _args, { data, errors, extensions }) => ({
        ...(data === undefined ? {} : { data }),
        ...(errors ? { errors: formatErrors(errors, formatError) } : {}),
        ...(extensions === undefined ? {} : { extensions }),
      }),
      // Errors thrown by the event iterator arrive wrapped; send the subgraph's or the gateway's own.
      onError: (_ctx, _id, _payload, errors) => formatErrors(errors.flatMap(errorsOf), formatError),
    },
    wss,
    limits.keepAliveMs,
  );
  return {
    dispose: async () => {
      clearInterval(sweep);
      await server.dispose();
    },
  };
}
