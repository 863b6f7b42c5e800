import path from 'node:path';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { parseBuffer, parseFile, type IAudioMetadata, type IOptions } from 'music-metadata';
import type { TrackTags } from '@tonegraph/catalog/store';
import { PermanentFileError, isTransient } from '../errors.ts';
import { parseArtistCredits, type ArtistCredit } from './artists.ts';

/**
 * One audio file's tags and format: what the catalog stores of it (its
 * `TrackTags`, the catalog's contract) and what the other stages use.
 */
export interface TrackMetadata extends TrackTags {
  readonly artists: readonly ArtistCredit[];
  readonly musicbrainz: TrackTags['musicbrainz'] & { readonly artistIds: readonly string[] };
  readonly replayGain: { readonly trackGainDb: number | null; readonly trackPeak: number | null };
  readonly hasEmbeddedCover: boolean;
}

const positive = (n: number | null | undefined): number | null => (n && n > 0 ? n : null);

/** Rejects what parses as "something" but holds no playable audio. */
function validate(file: string, meta: IAudioMetadata): number {
  const { format } = meta;
  if (!format.container && !format.codec) {
    throw new PermanentFileError(
      'metadata',
      `${path.basename(file)} is not an audio file (no known container)`,
    );
  }
  if (!format.duration || !Number.isFinite(format.duration) || format.duration <= 0) {
    throw new PermanentFileError(
      'metadata',
      `${path.basename(file)} has no audio duration (corrupt or not audio)`,
    );
  }
  if (format.bitrate === 0) {
    throw new PermanentFileError('metadata', `${path.basename(file)} has no audio data (truncated)`);
  }
  return format.duration;
}

/**
 * When a file that failed to parse is audio of another format than its
 * extension says (an MP3 saved as .flac), says so: the parser goes by the
 * extension, and "rename it" is a fix the user can act on.
 */
async function extensionMismatch(file: string, content?: Uint8Array): Promise<string | undefined> {
  const detected = await (content ? fileTypeFromBuffer(content) : fileTypeFromFile(file)).catch(
    () => undefined,
  );
  const ext = path.extname(file).slice(1).toLowerCase();
  if (!detected || !detected.mime.startsWith('audio/') || detected.ext === ext) return undefined;
  return (
    `${path.basename(file)} contains ${detected.ext.toUpperCase()} audio (${detected.mime}), ` +
    `not ${ext.toUpperCase()} as its extension says; rename it to .${detected.ext} to import it`
  );
}

/** Ogg keeps no duration in its headers: only the last page's granule position gives it. */
const OGG_EXTENSIONS = new Set(['ogg', 'oga', 'opus']);

/**
 * music-metadata's options for a file. Covers are parsed (only to know that
 * there is one). `duration: false` keeps the parser to the headers, which
 * hold the exact duration of FLAC (STREAMINFO), MP4 (mvhd), WAV and AIFF
 * (sample counts) and of MP3 with a Xing/Info/VBRI header (others get the
 * bitrate estimate); Ogg has it only on its last page, and without
 * `duration: true` the parser stops after 12 pages and reports none.
 */
function parseOptions(file: string): IOptions {
  const ext = path.extname(file).slice(1).toLowerCase();
  return { duration: OGG_EXTENSIONS.has(ext), skipCovers: false };
}

/**
 * Reads tags and technical format with music-metadata, from `content` (the
 * whole file, already read) or else from the file itself (the cover picture
 * is only checked for presence). Throws PermanentFileError for files that
 * can never be read, and rethrows transient I/O errors as they are.
 */
export async function readMetadata(file: string, content?: Uint8Array): Promise<TrackMetadata> {
  let meta: IAudioMetadata;
  try {
    meta = content
      ? // The path picks the parser by extension, as parseFile does; the size is the content's.
        await parseBuffer(content, { path: file, size: content.length }, parseOptions(file))
      : await parseFile(file, parseOptions(file));
  } catch (error) {
    if (isTransient(error)) throw error;
    const mismatch = await extensionMismatch(file, content);
    if (mismatch) throw new PermanentFileError('metadata', mismatch, { cause: error });
    const message = error instanceof Error ? error.message : String(error);
    throw new PermanentFileError('metadata', `${path.basename(file)} cannot be parsed: ${message}`, {
      cause: error,
    });
  }
  const duration = validate(file, meta);
  const { common, format } = meta;
  const ext = path.extname(file).slice(1).toLowerCase();
  return {
    title: common.title?.trim() || path.basename(file, path.extname(file)),
    artists: parseArtistCredits(common.artist, common.artists),
    albumArtist: common.albumartist?.trim() || null,
    album: common.album?.trim() || null,
    compilation: common.compilation === true,
    discNumber: positive(common.disk.no),
    trackNumber: positive(common.track.no),
    genres: [...new Set((common.genre ?? []).map((g) => g.trim()).filter(Boolean))],
    year: positive(common.year),
    isrc: common.isrc?.[0] ?? null,
    musicbrainz: {
      recordingId: common.musicbrainz_recordingid ?? null,
      trackId: common.musicbrainz_trackid ?? null,
      releaseId: common.musicbrainz_albumid ?? null,
      artistIds: common.musicbrainz_artistid ?? [],
    },
    replayGain: {
      trackGainDb: common.replaygain_track_gain?.dB ?? null,
      trackPeak: common.replaygain_track_peak?.ratio ?? null,
    },
    hasEmbeddedCover: (common.picture?.length ?? 0) > 0,
    format: {
      format: ext,
      codec: format.codec ?? null,
      container: format.container ?? null,
      duration,
      bitrate: positive(format.bitrate) === null ? null : Math.round(format.bitrate!),
      sampleRate: positive(format.sampleRate),
      channels: positive(format.numberOfChannels),
      bitsPerSample: positive(format.bitsPerSample),
      lossless: format.lossless === true,
    },
  };
}
