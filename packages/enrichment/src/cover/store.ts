import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CoverRejectedError } from '../errors.ts';

/** A cover image on disk. */
export interface StoredCover {
  readonly path: string;
  readonly source: 'embedded' | 'coverartarchive';
  readonly bytes: number;
  readonly contentType: string;
}

const SIGNATURES: ReadonlyArray<{ type: string; ext: string; magic: readonly number[] }> = [
  { type: 'image/jpeg', ext: 'jpg', magic: [0xff, 0xd8, 0xff] },
  { type: 'image/png', ext: 'png', magic: [0x89, 0x50, 0x4e, 0x47] },
];

/** The image type its first bytes say, whatever a header or tag claims. */
export function sniffImage(head: Uint8Array): { type: string; ext: string } | undefined {
  return SIGNATURES.find((s) => s.magic.every((b, i) => head[i] === b));
}

/** The size of a file, or undefined when it does not exist. */
export async function existingSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

/**
 * Writes `source` to `dest` through a temporary file in the same folder,
 * renamed into place once complete, so a reader never sees half an image.
 * Refuses more than `maxBytes` and anything whose first bytes are not one of
 * `allowed` image types (undefined: any known image).
 */
export async function writeImageAtomically(
  dest: string,
  source: AsyncIterable<Uint8Array> | Uint8Array,
  maxBytes: number,
  allowed?: readonly string[],
): Promise<{ bytes: number; contentType: string }> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
  let bytes = 0;
  let contentType: string | undefined;
  const guard = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (bytes === 0) {
        contentType = sniffImage(chunk)?.type;
        if (!contentType || (allowed && !allowed.includes(contentType))) {
          done(
            new CoverRejectedError(
              'content-type',
              `not an accepted image (${allowed?.join(', ') ?? 'jpeg or png'})`,
            ),
          );
          return;
        }
      }
      bytes += chunk.length;
      if (bytes > maxBytes) done(new CoverRejectedError('too-large', `image larger than ${maxBytes} bytes`));
      else done(null, chunk);
    },
  });
  try {
    const input = source instanceof Uint8Array ? Readable.from([Buffer.from(source)]) : Readable.from(source);
    await pipeline(input, guard, createWriteStream(tmp));
    if (bytes === 0 || !contentType) throw new CoverRejectedError('empty', 'empty image');
    await rename(tmp, dest);
    return { bytes, contentType };
  } catch (error) {
    await unlink(tmp).catch(() => {});
    throw error;
  }
}
