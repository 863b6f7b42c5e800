// Album covers stored by ingest's enrichment stage (COVER_DIR), served at
// /covers/<file> so that `Album.coverArt` URLs point at the gateway, the
// only server clients reach. Static files only, no listing; the URLs carry
// no credentials (an <img> cannot send a bearer token), and a cover's file
// name is a MusicBrainz release id or a content hash, not a guessable path.
import path from 'node:path';
import express, { type Express } from 'express';

export const COVERS_PATH = '/covers';

/** Options for {@link mountCovers}. */
export interface CoversOptions {
  /** The folder ingest writes covers to (its COVER_DIR); default `.covers`, as ingest's default. */
  readonly dir?: string;
}

/** Serves `<dir>/<file>` at /covers/<file>: cached for a day, 404 for anything else. */
export function mountCovers(app: Express, options: CoversOptions = {}): void {
  const dir = path.resolve(options.dir ?? '.covers');
  app.use(
    COVERS_PATH,
    // Cover files sit at the top of the folder; deeper paths and temporary files are not covers.
    (req, res, next) => {
      if (
        (req.method !== 'GET' && req.method !== 'HEAD') ||
        !/^\/[A-Za-z0-9][A-Za-z0-9._-]*\.(?:jpe?g|png)$/.test(req.path)
      ) {
        res.status(404).type('text/plain').send('not found\n');
        return;
      }
      next();
    },
    express.static(dir, {
      index: false,
      redirect: false,
      dotfiles: 'deny',
      maxAge: '1d',
    }),
    (_req, res) => {
      res.status(404).type('text/plain').send('not found\n');
    },
  );
}
