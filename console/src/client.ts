/**
 * GraphQL, the console's only way to the platform: HTTP POST to /graphql for
 * queries and mutations, graphql-ws on the same path for subscriptions.
 */
import { createClient, type Client } from 'graphql-ws';
import { bearer, getToken, onTokenChange } from './auth-store.ts';

export interface GraphQLErrorShape {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string; readonly serviceName?: string };
}

/** A request that produced no data: transport failure, HTTP error, or errors only. */
export class RequestError extends Error {
  readonly code: string | undefined;
  readonly status: number | undefined;
  constructor(message: string, code?: string, status?: number) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.status = status;
  }
  /** True when the gateway wants (another) API key or JWT. */
  get isAuth(): boolean {
    return (
      this.status === 401 ||
      this.status === 403 ||
      this.code === 'UNAUTHENTICATED' ||
      this.code === 'FORBIDDEN'
    );
  }
}

/** Data, plus the errors of fields that could not be resolved (e.g. a subgraph is down). */
export interface Result<T> {
  readonly data: T;
  readonly errors: readonly GraphQLErrorShape[];
}

const authListeners = new Set<(error: RequestError) => void>();
/** Called whenever the gateway refuses the console's credentials. */
export function onAuthRequired(listener: (error: RequestError) => void): void {
  authListeners.add(listener);
}
function refused(error: RequestError): RequestError {
  if (error.isAuth) for (const listener of authListeners) listener(error);
  return error;
}

const httpUrl = (): string => new URL('/graphql', location.href).toString();
const wsUrl = (): string => httpUrl().replace(/^http/, 'ws');

function describe(errors: readonly GraphQLErrorShape[]): RequestError {
  const first = errors[0];
  const code = first?.extensions?.code;
  const message = errors.map((e) => e.message).join('; ') || 'request failed';
  return new RequestError(code ? `${message} [${code}]` : message, code);
}

export async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<Result<T>> {
  const token = getToken();
  let response: Response;
  try {
    response = await fetch(httpUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        ...(token ? { authorization: bearer(token) } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RequestError(
      `cannot reach the gateway (${error instanceof Error ? error.message : 'network error'})`,
    );
  }
  let body: { data?: T | null; errors?: GraphQLErrorShape[] } | undefined;
  try {
    body = (await response.json()) as typeof body;
  } catch {
    body = undefined;
  }
  const errors = body?.errors ?? [];
  if (body?.data === undefined || body.data === null) {
    const error = errors.length
      ? describe(errors)
      : new RequestError(`the gateway answered HTTP ${response.status}`);
    throw refused(new RequestError(error.message, error.code, response.status));
  }
  return { data: body.data, errors };
}

export interface SubscriptionHandlers<T> {
  next(result: Result<T>): void;
  error(error: RequestError): void;
  complete(): void;
}

let client: Client | undefined;
function wsClient(): Client {
  client ??= createClient({
    url: wsUrl(),
    lazy: true,
    keepAlive: 15_000,
    retryAttempts: 5,
    connectionParams: () => {
      const token = getToken();
      return token ? { authorization: bearer(token) } : {};
    },
  });
  return client;
}
// A new key takes a new connection: connection_init is sent once per socket.
onTokenChange(() => {
  const old = client;
  client = undefined;
  void old?.dispose();
});

/** Starts a subscription; returns the function that ends it. */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  handlers: SubscriptionHandlers<T>,
): () => void {
  return wsClient().subscribe<T>(
    { query, variables },
    {
      next(message) {
        if (message.data) handlers.next({ data: message.data, errors: message.errors ?? [] });
        else if (message.errors) handlers.error(refused(describe(message.errors)));
      },
      error(error: unknown) {
        if (Array.isArray(error)) {
          handlers.error(refused(describe(error as GraphQLErrorShape[])));
        } else if (error instanceof CloseEvent) {
          const auth = error.code === 4401 || error.code === 4403;
          handlers.error(
            refused(
              new RequestError(
                `subscription closed (${error.code}${error.reason ? ` ${error.reason}` : ''})`,
                auth ? 'UNAUTHENTICATED' : undefined,
              ),
            ),
          );
        } else {
          handlers.error(new RequestError(error instanceof Error ? error.message : 'subscription failed'));
        }
      },
      complete: () => handlers.complete(),
    },
  );
}

/** A short note naming the subgraphs whose fields could not be loaded, or null. */
export function partialNote(errors: readonly GraphQLErrorShape[]): string | null {
  if (errors.length === 0) return null;
  const services = [...new Set(errors.map((e) => e.extensions?.serviceName).filter(Boolean))];
  return services.length
    ? `Some fields are unavailable (${services.join(', ')}): shown as —`
    : `Some fields are unavailable: shown as — (${errors[0]?.message ?? 'error'})`;
}
