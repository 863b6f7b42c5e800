// The Tonegraph console (console/, built by Vite into console/dist) served at
// /console/, same origin as /graphql so it needs no CORS. Static files only:
// the page talks to the platform through GraphQL like any other client.
import { access } from 'node:fs/promises';
import path from 'node:path';
import express, { type Express } from 'express';

export const CONSOLE_PATH = '/console';
const defaultDist = path.resolve(import.meta.dirname, '../../console/dist');

/** Options for {@link mountConsole}. */
export interface ConsoleOptions {
  /** The built console; default `console/dist` in this checkout. */
  readonly distDir?: string;
}

/**
 * Serves the console at /console/: hashed assets (`assets/*`) cached for a
 * year, everything else (index.html) revalidated on every load, so a new
 * build shows at once. Before `npm run build -w console` it answers 503.
 */
export function mountConsole(app: Express, options: ConsoleOptions = {}): void {
  const dist = options.distDir ?? defaultDist;
  const assets = path.join(dist, 'assets') + path.sep;
  const files = express.static(dist, {
    index: 'index.html',
    redirect: false,
    fallthrough: true,
    setHeaders(res, file) {
      res.setHeader(
        'cache-control',
        file.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  app.use(CONSOLE_PATH, async (req, res, next) => {
    // Checked per request (not at start) so a build made while the gateway runs is picked up.
    const built = await access(path.join(dist, 'index.html')).then(
      () => true,
      () => false,
    );
    if (!built) {
      res
        .status(503)
        .type('text/plain')
        .set('cache-control', 'no-store')
        .send('console not built: npm run build -w console\n');
      return;
    }
    // Relative URLs resolve against /console/, not /.
    if (req.originalUrl === CONSOLE_PATH || req.originalUrl.startsWith(`${CONSOLE_PATH}?`)) {
      res.redirect(301, `${CONSOLE_PATH}/${req.originalUrl.slice(CONSOLE_PATH.length)}`);
      return;
    }
    files(req, res, next);
  });
}
