import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Faults a fake injects before its handler runs. Counters are used up one
 * per request, in this order: hang, 503, 429, malformed.
 */
export interface Faults {
  /** Delay before every answer. */
  latencyMs?: number;
  /** Answer every request with 503 (true) or never answer at all ('hang'). */
  down?: boolean | 'hang';
  /** The next N requests are never answered (the client's timeout must fire). */
  hang?: number;
  /** The next N requests get 503. */
  status503?: number;
  /** The next `count` requests get 429 with this `Retry-After` (seconds or an HTTP date). */
  tooMany?: { count: number; retryAfter: string };
  /** The next N requests get 200 with a body that is not JSON. */
  malformed?: number;
}

/** One request as the fake saw it. */
export interface RecordedRequest {
  /** `performance.now()`-based epoch ms, fine enough to measure spacing. */
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  /** What the fake did: the status sent, or 'hang'. */
  outcome?: number | 'hang';
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface FakeServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Live fault settings: change them at any time. */
  faults: Faults;
  /** Milliseconds between consecutive recorded requests. */
  gaps(): number[];
  close(): Promise<void>;
}

const clock = () => performance.timeOrigin + performance.now();

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A plain node:http server on 127.0.0.1 with a request log and fault injection. */
export async function startFakeServer(handler: Handler, faults: Faults = {}): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const fake: FakeServer = {
    url: '',
    requests,
    faults,
    gaps: () => requests.slice(1).map((r, i) => r.at - requests[i]!.at),
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const at = clock();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec: RecordedRequest = {
        at,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      void respond(rec, res);
    });
  });
  async function respond(rec: RecordedRequest, res: ServerResponse): Promise<void> {
    const f = fake.faults;
    if (f.down === 'hang' || (f.hang ?? 0) > 0) {
      if (f.hang) f.hang--;
      rec.outcome = 'hang';
      return;
    }
    if (f.latencyMs) await sleep(f.latencyMs);
    res.on('finish', () => (rec.outcome = res.statusCode));
    if (f.down === true || (f.status503 ?? 0) > 0) {
      if (f.status503) f.status503--;
      json(res, 503, { error: 'service unavailable' });
      return;
    }
    if (f.tooMany && f.tooMany.count > 0) {
      f.tooMany.count--;
      res.writeHead(429, { 'retry-after': f.tooMany.retryAfter, 'content-type': 'application/json' });
      res.end('{"error":"slow down"}');
      return;
    }
    if ((f.malformed ?? 0) > 0) {
      f.malformed!--;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"recordings": [ {"id": "oops"');
      return;
    }
    try {
      await handler(rec, res);
    } catch (error) {
      if (!res.headersSent) json(res, 500, { error: String(error) });
    }
  }
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  (fake as { url: string }).url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  fake.close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Hanging requests and idle keep-alive sockets would hold close() forever.
      server.closeAllConnections();
    });
    return closing;
  };
  return fake;
}
