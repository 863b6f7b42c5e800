import { STATUS_CODES } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { GraphQLError } from 'graphql';
import { Pool, errors as undiciErrors } from 'undici';
import type { IncomingHttpHeaders } from 'undici/types/header.js';
import { SUBGRAPH_SECRET_HEADER } from '@tonegraph/subgraph-auth';
import { HttpLimitCode } from './limits/http.ts';
import type { GatewayMetrics } from './observability/metrics.ts';
import { childTraceparent, currentRequest } from './observability/request-context.ts';
import type { FetchPlugin, SubgraphCall, SubgraphFetch } from './subgraph-traffic/fetch.ts';

export interface SubgraphFetchOptions {
  readonly name: string;
  readonly url: string;
  /** Time allowed for one fetch to answer (headers, then each gap in the body), in ms. */
  readonly timeoutMs: number;
  /** Keep-alive connections to the subgraph, at most; more fetches wait in the gateway. Default 64. */
  readonly connections?: number;
  /** Sent as the subgraph-secret header on every fetch, when set. */
  readonly secret: string | undefined;
  readonly metrics: GatewayMetrics;
  /** Steps around each fetch, outermost first (deduplication, admission control); see subgraph-traffic/. */
  readonly plugins?: readonly FetchPlugin[];
}

/** Headers every call to a subgraph carries: the signature and the request's trace. */
export function subgraphHeaders(secret: string | undefined): Record<string, string> {
  const scope = currentRequest();
  return {
    ...(secret ? { [SUBGRAPH_SECRET_HEADER]: secret } : {}),
    ...(scope ? { 'x-request-id': scope.requestId, traceparent: childTraceparent(scope.traceId) } : {}),
  };
}

/** The response headers as the data source reads them (`get('content-type')`), without copying them. */
class ResponseHeaders implements FetcherHeaders {
  readonly #raw: IncomingHttpHeaders;
  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }
  get(name: string): string | null {
    const v = this.#raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
  }
  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }
  set(name: string, value: string): void {
    this.#raw[name.toLowerCase()] = value;
  }
  append(name: string, value: string): void {
    const v = this.get(name);
    this.set(name, v === null ? value : `${v}, ${value}`);
  }
  delete(name: string): void {
    delete this.#raw[name.toLowerCase()];
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.#raw)) yield [name, this.get(name)!];
  }
  keys(): IterableIterator<string> {
    return Object.keys(this.#raw)[Symbol.iterator]();
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** A subgraph's answer, read whole (GraphQL responses are single JSON documents). */
class SubgraphResponse implements FetcherResponse {
  readonly redirected = false;
  readonly bodyUsed = false;
  readonly url: string;
  readonly status: number;
  readonly headers: FetcherHeaders;
  readonly #text: string;
  constructor(url: string, status: number, headers: IncomingHttpHeaders, text: string) {
    this.url = url;
    this.status = status;
    this.headers = new ResponseHeaders(headers);
    this.#text = text;
  }
  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  get statusText() {
    return STATUS_CODES[this.status] ?? '';
  }
  text() {
    return Promise.resolve(this.#text);
  }
  json(): Promise<unknown> {
    return new Promise((resolve) => resolve(JSON.parse(this.#text)));
  }
  arrayBuffer() {
    const bytes = Buffer.from(this.#text);
    return Promise.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  clone(): FetcherResponse {
    return this;
  }
}

/** How long a refused connection is retried (a subgraph restarting), and how long refusals are tolerated. */
const RETRY_REFUSED_MS = 2000;

/** The connection closed before an answer came: the request may or may not have been read. */
const LOST = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
/** Query plans send mutations as `mutation …` documents; everything else only reads. */
const isMutation = (body: FetcherRequestInit['body']) =>
  typeof body === 'string' && /^\{"query":"\s*mutation\b/.test(body);

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const codeOf = (error: unknown) => (error as { code?: string }).code;
const reasonOf = (error: unknown): string =>
  TIMEOUTS.has(codeOf(error) ?? '')
    ? 'timeout'
    : error instanceof undiciErrors.RequestAbortedError || (error as Error).name === 'AbortError'
      ? 'aborted'
      : 'network';

/**
 * A data source whose fetches are signed, traced, timed and bounded, over a
 * keep-alive connection pool of its own (undici): the gateway holds at most
 * `connections` sockets to the subgraph however many clients it serves, and
 * reuses them. A fetch ends at the earlier of its own timeout and the client
 * request's deadline (which aborts every fetch of the request still in
 * flight). A subgraph that refuses the connection (restarting) is tried
 * again with backoff for up to `RETRY_REFUSED_MS`: nothing was sent, so any
 * operation may be repeated. One that has kept refusing for longer fails
 * at once until it answers again, so a subgraph that is down costs its
 * fields, not the client's time. A query whose keep-alive connection is
 * closed under it before any answer (a subgraph shutting down gracefully
 * closes its idle connections) is sent once more; a mutation is not, as it
 * may have run.
 */
export function createSubgraphDataSource(
  options: SubgraphFetchOptions,
): RemoteGraphQLDataSource & { close(): Promise<void> } {
  const { name, metrics } = options;
  const target = new URL(options.url);
  const pool = new Pool(target.origin, {
    connections: options.connections ?? 64,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const path = `${target.pathname}${target.search}`;
  /** Since when the subgraph refuses connections; undefined while it answers. */
  let refusedSince: number | undefined;

  const once = async (url: string, init: FetcherRequestInit | undefined, signal: AbortSignal | undefined) => {
    const { statusCode, headers, body } = await pool.request({
      path,
      method: 'POST',
      headers: { ...init?.headers, ...subgraphHeaders(options.secret) },
      body: init?.body ?? null,
      signal: signal ?? null,
    });
    return new SubgraphResponse(url, statusCode, headers, await body.text());
  };

  /** The fetch itself, with its retries; `signal` is the caller's, or a shared fetch's own. */
  const send: SubgraphFetch = async ({ url, init, signal }: SubgraphCall) => {
    const start = performance.now();
    const seconds = () => (performance.now() - start) / 1000;
    let resent = false;
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await once(url, init, signal);
        refusedSince = undefined;
        metrics.observeFetch(name, seconds(), response.ok ? undefined : `http_${response.status}`);
        return response;
      } catch (error) {
        if (!resent && LOST.has(codeOf(error) ?? '') && !signal?.aborted && !isMutation(init.body)) {
          resent = true;
          metrics.observeFetch(name, seconds(), 'resent');
          continue;
        }
        const wait = Math.min(100 * 2 ** attempt, 500);
        const refused = codeOf(error) === 'ECONNREFUSED';
        const now = performance.now();
        if (refused) refusedSince ??= now;
        const budget = Math.min(RETRY_REFUSED_MS, options.timeoutMs);
        if (
          refused &&
          !signal?.aborted &&
          now - refusedSince! + wait < budget &&
          now - start + wait < budget
        ) {
          await sleep(wait);
          continue;
        }
        metrics.observeFetch(name, seconds(), refused ? 'refused' : reasonOf(error));
        throw error;
      }
    }
  };
  const fetch = (options.plugins ?? []).reduceRight<SubgraphFetch>((next, plugin) => plugin(next), send);

  const dataSource = new RemoteGraphQLDataSource({
    url: options.url,
    // No cache hints come from the subgraphs; the gateway's response cache sets its own policy.
    honorSubgraphCacheControlHeader: false,
    fetcher: async (url: string, init?: FetcherRequestInit) => {
      const scope = currentRequest();
      try {
        return await fetch({ subgraph: name, url, init: init ?? {}, signal: scope?.signal });
      } catch (error) {
        if (scope?.timedOut()) {
          throw new GraphQLError('The request took longer than the gateway allows; it was cancelled', {
            extensions: { code: HttpLimitCode.Timeout, serviceName: name },
          });
        }
        throw error;
      }
    },
  });
  return Object.assign(dataSource, { close: () => pool.close() });
}
