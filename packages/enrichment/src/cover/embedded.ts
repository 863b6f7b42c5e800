import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseFile, selectCover, type IPicture } from 'music-metadata';
import { coverFileName } from './cover-art.ts';
import { existingSize, sniffImage, writeImageAtomically, type StoredCover } from './store.ts';

/** Options of {@link storeEmbeddedCover} and {@link extractEmbeddedCover}. */
export interface EmbeddedCoverOptions {
  readonly coverDir: string;
  /** The name's first part: the release MBID when known; default `sha1-<hash of the image>`. */
  readonly key?: string;
  /** Largest image accepted. Default 10 MiB. */
  readonly maxBytes?: number;
}

/**
 * Stores a picture from a file's tags as `<key>-embedded.<jpg|png>`, through
 * a temporary file; undefined when it is not a JPEG or PNG image.
 */
export async function storeEmbeddedCover(
  picture: Pick<IPicture, 'data'>,
  options: EmbeddedCoverOptions,
): Promise<StoredCover | undefined> {
  const kind = sniffImage(picture.data);
  if (!kind) return undefined;
  const key = options.key ?? `sha1-${createHash('sha1').update(picture.data).digest('hex')}`;
  const dest = path.join(options.coverDir, coverFileName(key.toLowerCase(), 'embedded', kind.ext));
  const have = await existingSize(dest);
  if (have !== undefined) return { path: dest, source: 'embedded', bytes: have, contentType: kind.type };
  const written = await writeImageAtomically(dest, picture.data, options.maxBytes ?? 10 * 1024 * 1024);
  return { path: dest, source: 'embedded', ...written };
}

/**
 * Reads the front cover embedded in an audio file's tags (music-metadata's
 * choice among several pictures) and stores it; undefined when there is none.
 */
export async function extractEmbeddedCover(
  filePath: string,
  options: EmbeddedCoverOptions,
): Promise<StoredCover | undefined> {
  const meta = await parseFile(filePath, { duration: false, skipCovers: false, skipPostHeaders: true });
  const picture = selectCover(meta.common.picture);
  return picture ? storeEmbeddedCover(picture, options) : undefined;
}
