import { type Client, type FormattedExecutionResult, type Sink, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from '@tonegraph/logger';
import { SUBGRAPH_SECRET_PARAM } from '@tonegraph/subgraph-auth';

/** How the gateway holds its graphql-ws connections to the subgraphs. */
export interface UpstreamOptions {
  /**
   * Reconnection attempts after a subgraph connection drops (restart, network);
   * each active subscription is sent again once connected. Then the client
   * subscriptions end with SUBSCRIPTION_UPSTREAM_UNAVAILABLE. Default 5.
   */
  readonly retryAttempts?: number;
  /** Wait before retry n (0-based) is min(retryBaseMs·2ⁿ, 10 s) plus up to 25 % jitter. Default 500. */
  readonly retryBaseMs?: number;
  /** Keep an idle subgraph connection open this long after its last subscription ends. Default 5000. */
  readonly idleCloseMs?: number;
  /** Ping interval on each subgraph connection. Default 15000. */
  readonly keepAliveMs?: number;
}

/** One message from a subgraph's subscription, as it arrived. */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, Record<string, unknown>>;

export interface UpstreamRequest {
  readonly query: string;
  readonly operationName?: string | undefined;
  readonly variables: Record<string, unknown>;
}

export interface Upstream {
  /** Subscribes on the named subgraph; the returned function ends it (idempotent). */
  subscribe(serviceName: string, request: UpstreamRequest, sink: Sink<UpstreamEvent>): () => void;
  /** Subscriptions currently open towards subgraphs, all connections together. */
  readonly openSubscriptions: number;
  /** WebSocket connections to subgraphs currently acknowledged. */
  readonly openConnections: number;
  /** Closes every subgraph connection; idempotent. */
  dispose(): Promise<void>;
}

/** http(s)://host/graphql → ws(s)://host/graphql: graphql-ws on the subgraph's own path. */
export const toWebSocketUrl = (httpUrl: string): string => httpUrl.replace(/^http/, 'ws');

/**
 * One lazy graphql-ws client per subgraph, shared by every client
 * subscription the gateway serves: N subscribers to the catalog cost one
 * WebSocket, not N. Each client subscription still has its own upstream
 * subscription (its own arguments, its own completion).
 */
export function createUpstream(
  urls: ReadonlyMap<string, string>,
  log: Logger,
  options: UpstreamOptions = {},
  /** The gateway's signature, sent in `connection_init` (see @tonegraph/subgraph-auth). */
  secret?: string,
): Upstream {
  const { retryAttempts = 5, retryBaseMs = 500, idleCloseMs = 5000, keepAliveMs = 15_000 } = options;
  const clients = new Map<string, Client>();
  const connectedNow = new Set<string>();
  let open = 0;
  let connections = 0;
  let disposing: Promise<void> | undefined;

  const clientFor = (serviceName: string): Client => {
    let client = clients.get(serviceName);
    if (client) return client;
    const httpUrl = urls.get(serviceName);
    if (!httpUrl) throw new Error(`no URL for subgraph ${serviceName}`);
    const url = toWebSocketUrl(httpUrl);
    const slog = log.child({ subgraph: serviceName, url });
    client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: true,
      ...(secret ? { connectionParams: { [SUBGRAPH_SECRET_PARAM]: secret } } : {}),
      lazyCloseTimeout: idleCloseMs,
      keepAlive: keepAliveMs,
      retryAttempts,
      // Any drop is worth retrying: a restart closes with 1001 or 1006, a refused connect is an error event.
      shouldRetry: () => true,
      retryWait: async (n) => {
        const base = Math.min(retryBaseMs * 2 ** n, 10_000);
        await new Promise((resolve) => setTimeout(resolve, base + Math.random() * base * 0.25));
      },
      on: {
        connected: (_socket, _payload, wasRetry) => {
          connections++;
          connectedNow.add(serviceName);
          slog.info({ wasRetry }, 'subgraph subscription connection up');
        },
        closed: (event) => {
          // `closed` also fires for a connect attempt that failed: count only acknowledged sockets.
          if (connectedNow.delete(serviceName)) connections--;
          const { code, reason } = (event ?? {}) as { code?: number; reason?: string };
          slog.info({ code, reason }, 'subgraph subscription connection closed');
        },
      },
    });
    clients.set(serviceName, client);
    return client;
  };

  return {
    subscribe(serviceName, request, sink) {
      if (disposing) {
        sink.error(new Error('upstream disposed'));
        return () => {};
      }
      open++;
      let closed = false;
      const release = () => {
        if (closed) return false;
        closed = true;
        open--;
        return true;
      };
      const unsubscribe = clientFor(serviceName).subscribe<Record<string, unknown>, Record<string, unknown>>(
        request,
        {
          next: (value) => sink.next(value),
          error: (error) => {
            if (release()) sink.error(error);
          },
          complete: () => {
            if (release()) sink.complete();
          },
        },
      );
      return () => {
        if (release()) unsubscribe();
      };
    },
    get openSubscriptions() {
      return open;
    },
    get openConnections() {
      return connections;
    },
    dispose() {
      disposing ??= Promise.all([...clients.values()].map(async (c) => c.dispose())).then(() => {});
      return disposing;
    },
  };
}
