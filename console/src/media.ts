/**
 * Which stream to ask the gateway for: the original file when this browser
 * can play its format, else an Opus transcode (MP3 where Opus is not played
 * either). `Track.streamUrl(format:)` takes the answer.
 */

/** `Track.streamUrl`'s formats (the catalog's `enum StreamFormat`). */
export type StreamFormat = 'ORIGINAL' | 'OPUS' | 'MP3';

/** What the catalog says of a file: `AudioFile { format codec }`. */
export interface FileFormat {
  readonly format: string;
  readonly codec?: string | null | undefined;
}

/**
 * The media type (with codecs where the container holds several) to ask
 * `canPlayType` about, or null for a container no browser plays.
 * `format` is the catalog's container family (the file's extension),
 * `codec` what the tag parser read (`FLAC`, `MPEG 1 Layer 3`, `AAC`, `ALAC`,
 * `Vorbis I`, `Opus`, `PCM` …).
 */
export function mediaType(file: FileFormat): string | null {
  const codec = (file.codec ?? '').toLowerCase();
  switch (file.format.toLowerCase()) {
    case 'flac':
      return 'audio/flac';
    case 'mp3':
      return 'audio/mpeg';
    case 'm4a':
    case 'mp4':
    case 'm4b':
    case 'aac':
      if (codec.includes('alac')) return 'audio/mp4; codecs="alac"';
      if (codec.includes('flac')) return 'audio/mp4; codecs="flac"';
      if (codec.includes('opus')) return 'audio/mp4; codecs="opus"';
      return 'audio/mp4; codecs="mp4a.40.2"';
    case 'ogg':
    case 'oga':
    case 'opus':
      if (codec.includes('opus') || file.format.toLowerCase() === 'opus') return 'audio/ogg; codecs="opus"';
      if (codec.includes('flac')) return 'audio/ogg; codecs="flac"';
      return 'audio/ogg; codecs="vorbis"';
    case 'webm':
      return codec.includes('vorbis') ? 'audio/webm; codecs="vorbis"' : 'audio/webm; codecs="opus"';
    case 'wav':
      // Browsers play PCM WAV; other codecs in a WAVE file (ADPCM, float) mostly not.
      return codec && !codec.includes('pcm') ? `audio/wav; codecs="${codec}"` : 'audio/wav; codecs="1"';
    case 'aiff':
    case 'aif':
      return 'audio/aiff';
    default:
      return null;
  }
}

/** What `audio.canPlayType` answers: '', 'maybe' or 'probably'. */
export type CanPlay = (type: string) => string;

/** ORIGINAL when `canPlay` accepts the file's type, else OPUS, else MP3 (which every browser plays). */
export function streamFormatFor(file: FileFormat, canPlay: CanPlay): StreamFormat {
  const type = mediaType(file);
  if (type && canPlay(type) !== '') return 'ORIGINAL';
  if (canPlay('audio/ogg; codecs="opus"') !== '') return 'OPUS';
  return 'MP3';
}
