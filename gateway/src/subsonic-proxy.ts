// /rest/*: the Subsonic API, proxied to the Subsonic service (SUBSONIC_URL)
// so that music players need only the gateway's address. Both directions
// stream: a form POST's body goes up as it arrives, and audio comes down as
// the service sends it, with backpressure (a paused player pauses the
// service). Players authenticate to the Subsonic service itself (u/t/s or
// apiKey), so the gateway adds no check of its own; no request deadline and
// no compression apply here (a song plays for minutes; Range requests need
// the bytes as they are).
import type { IncomingHttpHeaders } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Express, Request, Response } from 'express';
import { Pool } from 'undici';
import type { Logger } from '@tonegraph/logger';

export const SUBSONIC_PATH = '/rest';

/** Whether a request path is the Subsonic API's. */
export const isSubsonicPath = (path: string) =>
  path === SUBSONIC_PATH || path.startsWith(`${SUBSONIC_PATH}/`);

/** Options of {@link mountSubsonicProxy}. */
export interface SubsonicProxyOptions {
  /** Base URL of the Subsonic service, e.g. `http://127.0.0.1:4005`. */
  readonly url: string;
  readonly log: Logger;
  /** Time the service has to send its response headers, ms; default 30 000. */
  readonly headersTimeoutMs?: number;
  /** Keep-alive connections to the service, at most; default 64. */
  readonly connections?: number;
}

// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  }
  return out;
}

/** Mounts the proxy at {@link SUBSONIC_PATH}; returns a function closing its connection pool. */
export function mountSubsonicProxy(app: Express, options: SubsonicProxyOptions): () => Promise<void> {
  const { log } = options;
  const pool = new Pool(new URL(options.url).origin, {
    connections: options.connections ?? 64,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    // 0: a stream the player has paused sends nothing for as long as it likes.
    bodyTimeout: 0,
  });
  const base = new URL(options.url).pathname.replace(/\/$/, '');

  app.use(SUBSONIC_PATH, async (req: Request, res: Response) => {
    // Abandoned by the player: the upstream request (and so the service's ffmpeg) ends too.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    try {
      const upstream = await pool.request({
        path: `${base}${req.originalUrl}`,
        method: req.method,
        headers: {
          ...forwardable(req.headers),
          'x-forwarded-for': req.socket.remoteAddress ?? '',
          'x-forwarded-proto': req.protocol,
          ...(req.headers.host ? { 'x-forwarded-host': req.headers.host } : {}),
        },
        body: hasBody ? req : null,
        signal: abort.signal,
      });
      res.writeHead(upstream.statusCode, forwardable(upstream.headers));
      await pipeline(upstream.body, res);
    } catch (error) {
      if (abort.signal.aborted) return;
      log.warn({ err: error, path: req.path }, 'subsonic service unreachable');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.status(502).type('text/plain').send('the Subsonic service is unreachable\n');
    }
  });
  return () => pool.close();
}
