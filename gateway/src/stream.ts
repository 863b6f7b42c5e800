// GET|HEAD /stream/<trackId>: a track's audio, the original file or a
// transcode (@tonegraph/streaming does the serving). Paths never come from
// the client: only a track id, resolved through the catalog and checked to be
// inside its library root. Access: the credentials /graphql takes (the `read`
// scope), or a signed URL from `Track.streamUrl` for clients that cannot send
// a token (an <audio> element). See "Streaming" in the gateway README.
import type { Express, Request, RequestHandler, Response } from 'express';
import {
  isTrackId,
  parseStreamRequest,
  refuseStream,
  StreamRequestError,
  STREAM_PATH,
  type Streamer,
  verifyStreamSignature,
} from '@tonegraph/streaming';
import { requireScope } from './auth/index.ts';
import type { ExportDeps } from './export.ts';
import { currentRequest } from './observability/request-context.ts';
import { CatalogUnavailableError, findTrackFile, type TrackFileLookup } from './stream-track.ts';

export { STREAM_PATH } from '@tonegraph/streaming';

/** `extensions.code` of the route's refusals (the streamer adds its own: ranges, transcodes). */
export const StreamCode = {
  NotFound: 'TRACK_NOT_FOUND',
  BadRequest: 'BAD_STREAM_REQUEST',
  SignatureInvalid: 'STREAM_SIGNATURE_INVALID',
  SignatureExpired: 'STREAM_URL_EXPIRED',
  NotReady: 'NOT_READY',
  UpstreamFailed: 'STREAM_UPSTREAM_FAILED',
} as const;

/** What {@link mountStream} needs from the gateway: the export's way to the catalog, and the streamer. */
export interface StreamDeps extends Pick<
  ExportDeps,
  'authenticator' | 'metrics' | 'subgraphs' | 'subgraphSecret' | 'subgraphTimeoutMs' | 'log'
> {
  /** Verifies signed URLs (STREAM_SECRET, the catalog's); unset: signed URLs are refused. */
  readonly streamSecret?: string | undefined;
  readonly streamer: Streamer;
  /** A track id to its file (default: {@link findTrackFile} on every request). */
  readonly lookup?: TrackFileLookup;
}

/** Mounts GET and HEAD {@link STREAM_PATH}/:trackId (express answers HEAD with the GET route). */
export function mountStream(app: Express, deps: StreamDeps): void {
  const { log } = deps;
  const lookup = deps.lookup ?? findTrackFile;
  const reject = (code: string) => deps.metrics.reject(code);
  const withToken = requireScope(deps.authenticator, 'read', 'Streaming needs the "read" scope', reject);
  const notFound = (res: Response) => refuseStream(res, 404, StreamCode.NotFound, 'No such track');

  /** A valid signature lets the request through; a bad one is refused even with credentials; none: credentials. */
  const access: RequestHandler<{ trackId: string }> = (req, res, next) => {
    const { trackId } = req.params;
    const query = req.query as Record<string, unknown>;
    const check = deps.streamSecret
      ? verifyStreamSignature(deps.streamSecret, trackId, query)
      : query.sig === undefined && query.expires === undefined
        ? 'absent'
        : 'invalid';
    if (check === 'valid') return next();
    if (check === 'absent') return withToken(req, res, next);
    reject(check === 'expired' ? StreamCode.SignatureExpired : StreamCode.SignatureInvalid);
    const message =
      check === 'expired'
        ? 'This stream URL has expired; ask Track.streamUrl for a new one'
        : deps.streamSecret
          ? 'This stream URL is not signed for this request (changed or forged)'
          : 'Signed stream URLs are not accepted: the server has no STREAM_SECRET';
    refuseStream(
      res,
      403,
      check === 'expired' ? StreamCode.SignatureExpired : StreamCode.SignatureInvalid,
      message,
    );
  };

  async function serve(req: Request<{ trackId: string }>, res: Response): Promise<void> {
    const { trackId } = req.params;
    let request;
    try {
      request = parseStreamRequest(req.query);
    } catch (error) {
      if (!(error instanceof StreamRequestError)) throw error;
      return refuseStream(res, 400, StreamCode.BadRequest, error.message);
    }
    const catalogUrl = deps.subgraphs.get('catalog');
    if (!catalogUrl) return refuseStream(res, 503, StreamCode.NotReady, 'The gateway is starting');
    const reqLog = currentRequest()?.log ?? log;
    let file;
    try {
      file = await lookup(
        { catalogUrl, secret: deps.subgraphSecret, timeoutMs: deps.subgraphTimeoutMs },
        trackId,
        currentRequest()?.signal,
      );
    } catch (error) {
      if (!(error instanceof CatalogUnavailableError)) throw error;
      if (res.destroyed) return;
      reqLog.error({ err: error, trackId }, 'stream: track lookup failed');
      return refuseStream(
        res,
        502,
        StreamCode.UpstreamFailed,
        'The catalog could not be asked for the track',
      );
    }
    if (!file) return notFound(res);
    await deps.streamer.serve(req, res, file, request);
  }

  app.get(
    `${STREAM_PATH}/:trackId`,
    // An id no track can have (a path, "..", an encoded slash) is simply not a track.
    (req, res, next) => (isTrackId(req.params.trackId) ? next() : notFound(res)),
    access,
    (req, res, next) => void serve(req, res).catch(next),
  );
  // Anything else under /stream (a nested path, another method) is not a track either.
  app.use(STREAM_PATH, (_req, res) => notFound(res));
}
