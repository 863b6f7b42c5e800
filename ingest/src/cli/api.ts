import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL error as the API returns it. */
export class ApiError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

export interface Api {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** Yields each event of a subscription; ends when the server completes it. */
  subscribe<T>(query: string, variables: Record<string, unknown>): AsyncGenerator<T>;
  close(): Promise<void>;
}

/**
 * Tonegraph's GraphQL API over HTTP (queries, mutations) and graphql-ws on the
 * same URL (subscriptions). `apiKey` goes in the Authorization header and in
 * the WebSocket's connection_init payload.
 */
export function createApi(
  url: string,
  { apiKey, timeoutMs = 15_000 }: { apiKey?: string; timeoutMs?: number } = {},
): Api {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  let ws: Client | undefined;
  const wsClient = () =>
    (ws ??= createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      retryAttempts: 5,
      shouldRetry: () => true,
    }));

  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify({ query, variables }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        // undici wraps the socket error, in an AggregateError when several addresses were tried.
        const inner = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } })
          .cause;
        const cause = inner?.code ?? inner?.errors?.[0]?.code ?? inner?.message;
        throw new ApiError(
          `cannot reach Tonegraph at ${url}${cause ? ` (${cause})` : ''}; is it running (npm start)?`,
        );
      }
      const body = (await response.json().catch(() => undefined)) as GraphQLResponse<T> | undefined;
      const first = body?.errors?.[0];
      if (first) throw new ApiError(first.message, first.extensions?.code);
      if (!response.ok || !body?.data) throw new ApiError(`${url} answered HTTP ${response.status}`);
      return body.data;
    },
    async *subscribe<T>(query: string, variables: Record<string, unknown>) {
      const events = wsClient().iterate<T>({ query, variables });
      for await (const result of events) {
        const first = result.errors?.[0];
        if (first)
          throw new ApiError(first.message, (first.extensions as { code?: string } | undefined)?.code);
        if (result.data) yield result.data;
      }
    },
    async close() {
      await ws?.dispose();
    },
  };
}
