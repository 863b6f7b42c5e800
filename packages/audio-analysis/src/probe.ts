import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { parseFile } from 'music-metadata';
import { UndecodableAudioError } from './errors.ts';

export interface AudioInfo {
  readonly sampleRate: number;
  readonly channels: number;
  /** From the container; may be an estimate (VBR MP3 without a header), 0 when unknown. */
  readonly durationSeconds: number;
  /**
   * Whether the container states its length exactly (sample counts in FLAC,
   * WAV, AIFF, MP4, Ogg), so a decode that ends well short of it means a
   * truncated file. False for MPEG audio, whose length may be estimated
   * from the bitrate.
   */
  readonly exactDuration: boolean;
  readonly codec: string;
  readonly container: string;
  readonly bytes: number;
}

const execFileAsync = promisify(execFile);

/**
 * Reads the container's stream parameters in-process with music-metadata
 * (no ffprobe process per file). The decoder is then told this channel
 * count and rate explicitly, so what the analysers assume and what ffmpeg
 * writes cannot differ, and a dual-mono stereo file stays two channels.
 * Only when music-metadata cannot read the file (a wrong extension, a
 * format it does not know) is ffprobe asked: ffmpeg may still decode it.
 */
export async function probeAudio(
  path: string,
  options: { signal?: AbortSignal | undefined } = {},
): Promise<AudioInfo> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UndecodableAudioError(path, `cannot stat: ${error.code ?? error.message}`, { cause: error });
  });
  // A FIFO or device would block the decoder (and a libuv thread) forever.
  if (!info.isFile()) throw new UndecodableAudioError(path, 'not a regular file');
  if (info.size === 0) throw new UndecodableAudioError(path, 'empty file');
  let metadata;
  try {
    metadata = await parseFile(path, { duration: false, skipCovers: true, skipPostHeaders: true });
  } catch (error) {
    const probed = await ffprobe(path, options.signal);
    if (typeof probed === 'string') {
      throw new UndecodableAudioError(
        path,
        `not a supported audio file: ${(error as Error).message}; ffprobe: ${probed}`,
        {
          cause: error,
        },
      );
    }
    return { ...probed, bytes: info.size };
  }
  const { sampleRate, numberOfChannels, duration, codec, container } = metadata.format;
  if (!sampleRate || !numberOfChannels) {
    throw new UndecodableAudioError(path, 'no audio stream (no sample rate or channel count in the headers)');
  }
  return {
    sampleRate,
    channels: numberOfChannels,
    durationSeconds: duration ?? 0,
    exactDuration: duration !== undefined && container !== 'MPEG',
    codec: codec ?? 'unknown',
    container: container ?? 'unknown',
    bytes: info.size,
  };
}

/** Stream parameters from ffprobe, or its error line. */
async function ffprobe(
  path: string,
  signal: AbortSignal | undefined,
): Promise<Omit<AudioInfo, 'bytes'> | string> {
  try {
    const { stdout } = await execFileAsync(
      'ffprobe',
      [
        ...['-v', 'error', '-select_streams', 'a:0'],
        ...['-show_entries', 'stream=sample_rate,channels,codec_name:format=duration,format_name'],
        ...['-of', 'json', `file:${path}`],
      ],
      { timeout: 30_000, signal, killSignal: 'SIGKILL' },
    );
    const json = JSON.parse(stdout) as {
      streams?: { sample_rate?: string; channels?: number; codec_name?: string }[];
      format?: { duration?: string; format_name?: string };
    };
    const stream = json.streams?.[0];
    const sampleRate = Number(stream?.sample_rate);
    if (!stream || !(sampleRate > 0) || !stream.channels) return 'no audio stream';
    return {
      sampleRate,
      channels: stream.channels,
      durationSeconds: Number(json.format?.duration) || 0,
      exactDuration: false,
      codec: stream.codec_name ?? 'unknown',
      container: json.format?.format_name ?? 'unknown',
    };
  } catch (error) {
    signal?.throwIfAborted();
    const e = error as { stderr?: string; message: string };
    return (
      (e.stderr ?? e.message)
        .split('\n')
        .find((l) => l.trim())
        ?.trim() ?? 'ffprobe failed'
    );
  }
}
