import { createServer as createHttpServer, type Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { authenticate } from './auth.ts';
import type { Endpoint, SubsonicDeps } from './context.ts';
import { browse } from './endpoints/browse.ts';
import { lists } from './endpoints/lists.ts';
import { listening } from './endpoints/listening.ts';
import { media } from './endpoints/media.ts';
import { playlists } from './endpoints/playlists.ts';
import { similarSongs } from './endpoints/similar.ts';
import { publicEndpoints, system } from './endpoints/system.ts';
import { formatOf, sendError, sendOk } from './envelope.ts';
import { ErrorCode, SubsonicError } from './errors.ts';
import { Params } from './params.ts';

export type { SubsonicDeps } from './context.ts';
export { API_VERSION } from './envelope.ts';
export { ErrorCode } from './errors.ts';

/** Every endpoint that needs a user, by name, as `/rest/<name>` and `/rest/<name>.view` serve it. */
export const endpoints: Readonly<Record<string, Endpoint>> = {
  ...system,
  ...browse,
  ...lists,
  ...listening,
  ...playlists,
  ...similarSongs,
  ...media,
};

export interface SubsonicServer {
  /** Not listening: `index.ts` (or a test) listens. */
  readonly httpServer: Server;
  /**
   * Stops accepting connections, ends the running transcodes, lets the
   * responses in flight finish for up to `graceMs` (default 5 s: a player
   * streaming an original would otherwise hold the shutdown for a whole
   * song), then closes what is left. Idempotent.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * The Subsonic REST service: `/rest/<endpoint>[.view]` over GET and form
 * POST, answered in the Subsonic envelope (XML, or JSON with `f=json`);
 * `/health` (liveness) and `/ready` (the catalog's database answers).
 */
export function createServer(deps: SubsonicDeps): SubsonicServer {
  const { log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/ready', async (_req, res) => {
    try {
      await deps.database.sql`select 1`;
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  let requests = 0;
  const handle = async (req: Request, res: Response) => {
    const params = Params.of(req);
    const format = formatOf(params.get('f'));
    const name = String(req.params.name ?? '').replace(/\.view$/, '');
    const child = log.child({ reqId: ++requests, endpoint: name });
    const endpoint = Object.hasOwn(endpoints, name) ? endpoints[name] : undefined;
    const open = Object.hasOwn(publicEndpoints, name) ? publicEndpoints[name] : undefined;
    if (open) {
      sendOk(res, format, open());
      return;
    }
    try {
      if (!endpoint) throw new SubsonicError(ErrorCode.NotFound, `Unknown endpoint ${name}`);
      const user = await authenticate(deps.database.db, deps.cipher, params);
      const payload = await endpoint({ params, user, deps, req, res, format, log: child });
      if (payload !== undefined) sendOk(res, format, payload);
    } catch (error) {
      if (!(error instanceof SubsonicError)) child.error({ err: error }, 'subsonic request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(
        res,
        format,
        error instanceof SubsonicError
          ? error
          : new SubsonicError(ErrorCode.Generic, 'Internal server error'),
      );
    }
  };
  // formPost: the parameters may come as an application/x-www-form-urlencoded body.
  app.all(
    '/rest/:name',
    express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 10_000 }),
    (req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
        res.status(405).set('allow', 'GET, HEAD, POST').end();
        return;
      }
      handle(req, res).catch(next);
    },
  );
  app.use((_req, res) => void res.status(404).type('text/plain').send('not found\n'));

  const httpServer = createHttpServer(app);
  let stopping: Promise<void> | undefined;
  return {
    httpServer,
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        await deps.streamer.close();
        const fuse = setTimeout(() => httpServer.closeAllConnections(), graceMs);
        fuse.unref();
        await closed;
        clearTimeout(fuse);
      })();
      return stopping;
    },
  };
}
