// The stream route's lookup: a track id to the file to serve, asked of the
// catalog subgraph (signed and traced like every gateway fetch, with
// subgraphHeaders) and checked again here: the file's real path must lie
// inside its library's real root, whatever the catalog says, since this
// process is the one that opens it.
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
