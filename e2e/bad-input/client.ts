// Raw clients for the bad-input scenario: HTTP requests the way a careless or
// hostile client sends them (any body, any header), a graphql-ws socket that
// sends whatever frames it is told to, and HS256 tokens signed by hand.
import { createHmac } from 'node:crypto';
import WebSocket from 'ws';

/** A GraphQL response body, as far as the cases look at it. */
export interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body (the first result of a batch); undefined when it is not JSON. */
  readonly body: GraphQLBody | undefined;
  /** Every result of a batched request; one element otherwise. */
  readonly results: GraphQLBody[];
}

export interface PostOptions {
  readonly headers?: Record<string, string>;
  readonly method?: 'POST' | 'GET';
}

/** Sends `body` (serialised unless it is a string) to `url` and reads the answer, whatever it is. */
export async function send(url: string, body: unknown, options: PostOptions = {}): Promise<Reply> {
  const res = await fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    ...(options.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const results = (Array.isArray(parsed) ? parsed : parsed === undefined ? [] : [parsed]) as GraphQLBody[];
  return { status: res.status, headers: res.headers, text, body: results[0], results };
}

/** The first error's `extensions.code`, if any. */
export const codeOf = (body: GraphQLBody | undefined): string | undefined =>
  body?.errors?.[0]?.extensions?.code as string | undefined;

/** An HS256 JWT, signed with node:crypto (what any issuer would send). */
export function hs256(secret: string, claims: Record<string, unknown>, alg = 'HS256'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = `${part({ alg, typ: 'JWT' })}.${part(claims)}`;
  const signature = alg === 'none' ? '' : createHmac('sha256', secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

export interface WsClose {
  readonly code: number;
  readonly reason: string;
}

/** A graphql-transport-ws socket driven frame by frame. */
export interface WsProbe {
  /** Sends an object as JSON, or a string as it is. */
  send(frame: object | string): void;
  /** The next message (parsed) that matches, waiting up to `timeoutMs`; rejects on close or timeout. */
  next(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves when the server closes the socket. */
  readonly closed: Promise<WsClose>;
  /** Closes it from this side (idempotent). */
  close(): void;
}

/** Opens a WebSocket with the graphql-ws subprotocol; rejects when the upgrade is refused. */
export function openWs(url: string, headers: Record<string, string> = {}): Promise<WsProbe> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let close: WsClose | undefined;
  const closed = new Promise<WsClose>((resolve) =>
    socket.on('close', (code, reason) => {
      close = { code, reason: reason.toString('utf8') };
      for (const wake of waiters) wake();
      resolve(close);
    }),
  );
  socket.on('message', (data: Buffer) => {
    try {
      messages.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
    } catch {
      messages.push({ type: 'unparsable', data: data.toString('utf8') });
    }
    for (const wake of waiters) wake();
  });
  const probe: WsProbe = {
    send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next: (match, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const i = messages.findIndex(match);
          if (i >= 0) {
            finish();
            resolve(messages.splice(i, 1)[0]!);
          } else if (close) {
            finish();
            reject(new Error(`socket closed ${close.code} ${close.reason} before the expected message`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no such message within ${timeoutMs} ms: ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    closed,
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(probe));
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
    socket.once('error', reject);
  });
}

/** Waits for the server to close the socket, at most `timeoutMs`. */
export async function closeOf(ws: WsProbe, timeoutMs = 15_000): Promise<WsClose> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<WsClose>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`socket still open after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([ws.closed, timeout]);
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
