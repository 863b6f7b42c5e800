// Originals go through `send` (what express.static serves files with), which
// already gets Range, If-Range, ETag, Last-Modified, 304, 412 and 416 right;
// this module only gives it the path and audio headers, and answers its
// errors as JSON like the rest of the gateway.
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import send from 'send';
import type { Logger } from '@tonegraph/logger';
import { refuse } from './respond.ts';
import type { TrackFile } from './types.ts';

/**
 * Content types by the catalog's format (the file's extension); others get send's guess from the name.
 * The Subsonic service describes songs (`contentType`) with the same table.
 */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  flac: 'audio/flac',
  mp3: 'audio/mpeg',
  m4a: 'audio/mp4',
  mp4: 'audio/mp4',
  aac: 'audio/aac',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  opus: 'audio/ogg',
  wav: 'audio/wav',
  aif: 'audio/aiff',
  aiff: 'audio/aiff',
  wma: 'audio/x-ms-wma',
};

/** `extensions.code` of send's refusals, by status. */
const CODES: Readonly<Record<number, string>> = {
  404: 'TRACK_FILE_MISSING',
  412: 'PRECONDITION_FAILED',
  416: 'RANGE_NOT_SATISFIABLE',
};

/** send's error: an http-errors error, with headers to answer with (416's Content-Range). */
interface SendError extends Error {
  readonly status?: number;
  readonly headers?: Record<string, string>;
}

/** Serves the file itself; resolves when the response is closed. */
export function serveOriginal(
  req: IncomingMessage,
  res: ServerResponse,
  file: TrackFile,
  log: Logger,
): Promise<void> {
  const closed = new Promise<void>((resolve) => res.once('close', resolve));
  // `root` + an encoded name: send URL-decodes its path, and a file name may contain "%" or "#".
  const stream = send(req, `/${encodeURIComponent(path.basename(file.path))}`, {
    root: path.dirname(file.path),
    // The catalog vouched for the path (inside its library root); a library may live in a dot-folder.
    dotfiles: 'allow',
    index: false,
    cacheControl: false,
  });
  stream.on('headers', (response: ServerResponse) => {
    const type = CONTENT_TYPES[file.format.toLowerCase()];
    if (type) response.setHeader('content-type', type);
    // no-transform: neither the gateway's compression nor a proxy may touch audio.
    response.setHeader('cache-control', 'private, max-age=0, no-transform');
    response.setHeader('x-content-type-options', 'nosniff');
  });
  stream.on('error', (error: SendError) => {
    const status = error.status ?? 500;
    if (status >= 500) log.error({ err: error, trackId: file.trackId }, 'stream: the file could not be read');
    else log.debug({ status, trackId: file.trackId }, 'stream: original refused');
    // Past the headers nothing can be said any more: the client sees a cut response.
    if (res.headersSent) return void res.destroy();
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    for (const [name, value] of Object.entries(error.headers ?? {})) res.setHeader(name, value);
    const message =
      status === 404
        ? "The track's file is gone from its library"
        : status === 416
          ? 'The requested range is outside the file'
          : status === 412
            ? 'The file does not match the request preconditions'
            : 'The file could not be read';
    refuse(res, status, CODES[status] ?? 'STREAM_FAILED', message);
  });
  stream.pipe(res);
  return closed;
}
