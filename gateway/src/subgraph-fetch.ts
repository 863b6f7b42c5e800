import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import { SUBGRAPH_SECRET_HEADER } from '@tonegraph/subgraph-auth';
import { HttpLimitCode } from './limits/http.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import { childTraceparent, currentRequest } from './observability/request-context.ts';

export interface SubgraphFetchOptions {
  readonly name: string;
  readonly url: string;
  /** Time allowed for one fetch, in ms. */
  readonly timeoutMs: number;
  /** Sent as the subgraph-secret header on every fetch, when set. */
  readonly secret: string | undefined;
  readonly metrics: GatewayMetrics;
}

/** Headers every call to a subgraph carries: the signature and the request's trace. */
export function subgraphHeaders(secret: string | undefined): Record<string, string> {
  const scope = currentRequest();
  return {
    ...(secret ? { [SUBGRAPH_SECRET_HEADER]: secret } : {}),
    ...(scope ? { 'x-request-id': scope.requestId, traceparent: childTraceparent(scope.traceId) } : {}),
  };
}

const reasonOf = (error: unknown, signal: AbortSignal): string =>
  signal.aborted ? 'timeout' : error instanceof Error && error.name === 'AbortError' ? 'aborted' : 'network';

/**
 * A data source whose fetches are signed, traced, timed and bounded: each
 * ends at the earlier of its own timeout and the client request's deadline
 * (which aborts every fetch of the request still in flight).
 */
export function createSubgraphDataSource(options: SubgraphFetchOptions): RemoteGraphQLDataSource {
  const { name, metrics } = options;
  return new RemoteGraphQLDataSource({
    url: options.url,
    // Node's fetch (undici) keeps connections alive per origin.
    fetcher: async (input: string, init?: RequestInit) => {
      const scope = currentRequest();
      const own = AbortSignal.timeout(options.timeoutMs);
      const signal = scope ? AbortSignal.any([own, scope.signal]) : own;
      const start = performance.now();
      const seconds = () => (performance.now() - start) / 1000;
      try {
        const response = await fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), ...subgraphHeaders(options.secret) },
          signal,
        });
        metrics.observeFetch(name, seconds(), response.ok ? undefined : `http_${response.status}`);
        return response;
      } catch (error) {
        metrics.observeFetch(name, seconds(), reasonOf(error, own));
        if (scope?.timedOut()) {
          throw new GraphQLError('The request took longer than the gateway allows; it was cancelled', {
            extensions: { code: HttpLimitCode.Timeout, serviceName: name },
          });
        }
        throw error;
      }
    },
  });
}
