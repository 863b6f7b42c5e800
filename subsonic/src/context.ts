import type { Request, Response } from 'express';
import type { Database } from '@tonegraph/catalog/db';
import type { ListeningUser, PasswordCipher } from '@tonegraph/catalog/store';
import type { Logger } from '@tonegraph/logger';
import type { ScanPublisher } from '@tonegraph/queues';
import type { Streamer } from '@tonegraph/streaming';
import type { Format, Node } from './envelope.ts';
import type { Params } from './params.ts';

/** What the Subsonic service is built from; `index.ts` supplies it from config. */
export interface SubsonicDeps {
  /** The catalog's database, read and written through `@tonegraph/catalog/store` only. */
  readonly database: Database;
  /** Decrypts stored passwords (SUBSONIC_PASSWORD_KEY) for token authentication. */
  readonly cipher: PasswordCipher;
  readonly log: Logger;
  /** Publishes the scan requests of `startScan` (the catalog's requestScan). */
  readonly scanPublisher: Pick<ScanPublisher, 'publish'>;
  /** The library-graph subgraph's /graphql, for getSimilarSongs2. */
  readonly libraryGraphUrl: string;
  /** Signs the library-graph requests as the gateway does; unset: unsigned (development). */
  readonly subgraphSecret?: string | undefined;
  /** Folder of the album covers ingest stores (its COVER_DIR). */
  readonly coverDir: string;
  /** Serves stream and download (originals with Range requests, ffmpeg transcodes). */
  readonly streamer: Streamer;
}

/** What one endpoint call sees. */
export interface EndpointContext {
  readonly params: Params;
  readonly user: ListeningUser;
  readonly deps: SubsonicDeps;
  readonly req: Request;
  readonly res: Response;
  readonly format: Format;
  readonly log: Logger;
}

/**
 * One endpoint: returns the payload of a `status="ok"` envelope, or
 * undefined when it answered by itself (stream, getCoverArt); throws a
 * SubsonicError to answer `status="failed"`.
 */
export type Endpoint = (ctx: EndpointContext) => Promise<Node | undefined>;
