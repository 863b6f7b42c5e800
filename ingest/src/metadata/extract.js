import path from 'node:path';
import { parseFile } from 'music-metadata';
import { PermanentFileError, isTransient } from '../errors.ts';
import { parseArtistCredits } from './artists.ts';
const positive = (n) => (n && n > 0 ? n : null);
/** Rejects what parses as "something" but holds no playable audio. */
function validate(file, meta) {
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
 * Reads tags and technical format with music-metadata (streams the file; the
 * cover picture is only checked for presence). Throws PermanentFileError for
 * files that can never be read, and rethrows transient I/O errors as they are.
 */
export async function readMetadata(file) {
  let meta;
  try {
    meta = await parseFile(file, { duration: false, skipCovers: false });
  } catch (error) {
    if (isTransient(error)) throw error;
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
      bitrate: positive(format.bitrate) === null ? null : Math.round(format.bitrate),
      sampleRate: positive(format.sampleRate),
      channels: positive(format.numberOfChannels),
      bitsPerSample: positive(format.bitsPerSample),
      lossless: format.lossless === true,
    },
  };
}
