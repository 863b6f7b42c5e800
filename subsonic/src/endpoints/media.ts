import path from 'node:path';
import { albumCoverFile, trackFile } from '@tonegraph/catalog/store';
import { parseStreamRequest, StreamRequestError, type StreamRequest } from '@tonegraph/streaming';
import type { Endpoint, EndpointContext } from '../context.ts';
import { ErrorCode, SubsonicError, notFound } from '../errors.ts';

/** Answers with a track's audio; the track id is resolved by the catalog, never a path from the client. */
async function serveTrack(ctx: EndpointContext, request: () => StreamRequest): Promise<undefined> {
  const { deps, params, req, res } = ctx;
  const id = params.required('id');
  let wanted: StreamRequest;
  try {
    wanted = request();
  } catch (error) {
    if (error instanceof StreamRequestError) throw new SubsonicError(ErrorCode.Generic, error.message);
    throw error;
  }
  const file = await trackFile(deps.database.db, id);
  if (!file) throw notFound('Song');
  await deps.streamer.serve(req, res, file, wanted);
  return undefined;
}

export const media: Record<string, Endpoint> = {
  /** The original, or a transcode when `format` (mp3, opus) or a `maxBitRate` below the file's asks for one. */
  stream: (ctx) => serveTrack(ctx, () => parseStreamRequest(ctx.params.toObject())),
  /** Always the original file. */
  download: (ctx) => serveTrack(ctx, () => ({ format: 'raw' })),
  /** An album's stored cover; `id` is an album id as handed out in `coverArt` attributes. */
  async getCoverArt({ deps, params, res }) {
    const file = await albumCoverFile(deps.database.db, params.required('id'));
    if (!file) throw notFound('Cover art');
    await new Promise<void>((resolve, reject) => {
      // `root` keeps the stored name inside COVER_DIR, whatever it holds.
      res.sendFile(
        file,
        { root: path.resolve(deps.coverDir), maxAge: '1d', dotfiles: 'deny' },
        (error?: Error & { status?: number }) => {
          if (!error) return resolve();
          if (res.headersSent) return resolve();
          reject(error.status === 404 ? notFound('Cover art') : error);
        },
      );
    });
    return undefined;
  },
};
