// The stream route's lookup: a track id to the file to serve, asked of the
// catalog subgraph (signed and traced like every gateway fetch, with
// subgraphHeaders) and checked again here: the file's real path must lie
// inside its library's real root, whatever the catalog says, since this
// process is the one that opens it. A player asks for one track many times
// (an <audio> element sends a Range request per seek and per buffer refill),
// so the answers are kept a few seconds (STREAM_LOOKUP_TTL_MS) and the
// lookups of one track in flight at once are one.
import { LRUCache, type Perf } from 'lru-cache';
import { request } from 'undici';
import { realPathInside, type TrackFile } from '@tonegraph/streaming';
import { subgraphHeaders } from './subgraph-fetch.ts';

const QUERY = `query StreamTrack($id: ID!) {
  track(id: $id) { id duration file { path size mtime format bitrate } library { path } }
}`;

interface TrackAnswer {
  data?: {
    track: {
      id: string;
      duration: number | null;
      file: { path: string; size: number; mtime: string | null; format: string; bitrate: number | null };
      library: { path: string };
    } | null;
  } | null;
  errors?: { message: string }[];
}

/** The catalog could not answer (down, timed out, an error): the route answers 502. */
export class CatalogUnavailableError extends Error {
  override readonly name = 'CatalogUnavailableError';
}

/** What {@link findTrackFile} needs. */
export interface TrackLookupDeps {
  /** The catalog subgraph's GraphQL URL. */
  readonly catalogUrl: string;
  /** SUBGRAPH_SECRET, when set. */
  readonly secret: string | undefined;
  /** Time the catalog has to answer, ms. */
  readonly timeoutMs: number;
}

/**
 * The file of track `trackId` (a UUID, checked by the caller), or null when
 * the catalog has no such track or its file is not inside its library root.
 * Throws {@link CatalogUnavailableError} when the catalog fails.
 */
export async function findTrackFile(
  deps: TrackLookupDeps,
  trackId: string,
  signal?: AbortSignal,
): Promise<TrackFile | null> {
  let answer: TrackAnswer;
  try {
    const response = await request(deps.catalogUrl, {
      method: 'POST',
      headers: { ...subgraphHeaders(deps.secret), 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { id: trackId } }),
      headersTimeout: deps.timeoutMs,
      bodyTimeout: deps.timeoutMs,
      signal: signal ?? null,
    });
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new Error(`the catalog answered ${response.statusCode}`);
    }
    answer = (await response.body.json()) as TrackAnswer;
  } catch (error) {
    throw new CatalogUnavailableError('the catalog could not be asked for the track', { cause: error });
  }
  if (answer.errors?.length) {
    throw new CatalogUnavailableError(`the catalog failed: ${answer.errors[0]!.message}`);
  }
  const track = answer.data?.track;
  if (!track) return null;
  const path = await realPathInside(track.file.path, track.library.path);
  if (path === null) return null;
  return {
    trackId: track.id,
    path,
    size: track.file.size,
    mtime: track.file.mtime === null ? null : new Date(track.file.mtime),
    format: track.file.format,
    bitrate: track.file.bitrate,
    duration: track.duration,
  };
}

/** How {@link createTrackFileLookup} keeps answers. */
export interface TrackLookupCacheOptions {
  /** How long a found file is reused, ms; 0 asks the catalog on every request. Misses and failures are never kept. */
  readonly ttlMs: number;
  /** Tracks kept at most (the least recently streamed go first); default 10,000. */
  readonly max?: number;
  /** The clock the TTL is measured on (tests); default `performance`. */
  readonly perf?: Perf;
}

/** The lookup the stream route uses: {@link findTrackFile} behind a short-lived cache. */
export type TrackFileLookup = (
  deps: TrackLookupDeps,
  trackId: string,
  signal?: AbortSignal,
) => Promise<TrackFile | null>;

/**
 * {@link findTrackFile} with its answers kept `ttlMs`: a track's Range
 * requests within it cost no catalog round trip and no realpath, and
 * concurrent lookups of one track share one. So a track removed from the
 * catalog can still be served for up to `ttlMs` to a client that already
 * had its id (the file itself is opened and stat'ed on every request). A shared lookup is not
 * abandoned when one of its requests goes away; it ends with the catalog's
 * answer or `timeoutMs`.
 */
export function createTrackFileLookup(options: TrackLookupCacheOptions): TrackFileLookup {
  if (options.ttlMs <= 0) return findTrackFile;
  const cache = new LRUCache<string, TrackFile, { deps: TrackLookupDeps; trackId: string }>({
    max: options.max ?? 10_000,
    ttl: options.ttlMs,
    ...(options.perf ? { perf: options.perf } : {}),
    // undefined: not found, which is not kept (the track may be imported a moment later).
    fetchMethod: async (_key, _stale, { context }) =>
      (await findTrackFile(context.deps, context.trackId)) ?? undefined,
  });
  // Keyed by the catalog's URL too: a supergraph that moves the catalog starts afresh.
  return async (deps, trackId) =>
    (await cache.fetch(`${deps.catalogUrl} ${trackId}`, { context: { deps, trackId } })) ?? null;
}
