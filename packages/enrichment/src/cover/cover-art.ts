import path from 'node:path';
import { CoverRejectedError } from '../errors.ts';
import type { HostClient } from '../http/host-client.ts';
import { existingSize, writeImageAtomically, type StoredCover } from './store.ts';

/** Options of {@link createCoverArt}. */
export interface CoverArtOptions {
  /** Folder the covers are stored in. */
  readonly coverDir: string;
  /** Thumbnail width asked for: 500 or 1200 (the original is never fetched). Default 500. */
  readonly size?: 500 | 1200;
  /** Largest image accepted. Default 5 MiB. */
  readonly maxBytes?: number;
}

/** The file a release's front cover is stored in. */
export const coverFileName = (releaseMbid: string, size: number | 'embedded', ext = 'jpg') =>
  `${releaseMbid}-${size}.${ext}`;

const MBID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Front covers from the Cover Art Archive (which redirects to the image host). */
export function createCoverArt(host: HostClient, options: CoverArtOptions) {
  const size = options.size ?? 500;
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  return {
    /**
     * The release's front cover, from disk when already stored, else
     * downloaded; undefined when the archive has none (404).
     */
    async front(releaseMbid: string): Promise<StoredCover | undefined> {
      if (!MBID.test(releaseMbid)) throw new TypeError(`not a release MBID: ${releaseMbid}`);
      const dest = path.join(options.coverDir, coverFileName(releaseMbid.toLowerCase(), size));
      const have = await existingSize(dest);
      if (have !== undefined)
        return { path: dest, source: 'coverartarchive', bytes: have, contentType: 'image/jpeg' };
      return host.stream(`/release/${releaseMbid}/front-${size}`, async (res) => {
        const type = String(res.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim()
          .toLowerCase();
        const length = Number(res.headers['content-length']);
        if (type !== 'image/jpeg') {
          await res.body.dump();
          throw new CoverRejectedError(
            'content-type',
            `cover of ${releaseMbid} is ${type || 'untyped'}, not image/jpeg`,
          );
        }
        if (Number.isFinite(length) && length > maxBytes) {
          await res.body.dump();
          throw new CoverRejectedError(
            'too-large',
            `cover of ${releaseMbid} is ${length} bytes, over ${maxBytes}`,
          );
        }
        const written = await writeImageAtomically(dest, res.body, maxBytes, ['image/jpeg']);
        return { path: dest, source: 'coverartarchive' as const, ...written };
      });
    },
  };
}

export type CoverArt = ReturnType<typeof createCoverArt>;
