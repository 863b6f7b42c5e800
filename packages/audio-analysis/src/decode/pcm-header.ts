import type { FileHandle } from 'node:fs/promises';

/** Where the samples of an uncompressed WAV or AIFF file are and how they are stored. */
export interface PcmLayout {
  readonly container: 'wav' | 'aiff';
  /** `int` is signed, except 8-bit WAV, which is `uint`. */
  readonly encoding: 'int' | 'uint' | 'float';
  /** Bytes per sample as stored (1–4 for integers, 4 or 8 for floats). */
  readonly bytesPerSample: number;
  readonly littleEndian: boolean;
  readonly channels: number;
  readonly sampleRate: number;
  /** Byte offset of the first sample frame. */
  readonly dataOffset: number;
  /** Bytes of sample data the header states (the file may hold fewer when it was cut short). */
  readonly dataBytes: number;
}

/**
 * Why a header is not one the direct reader takes. `unsupported` means
 * ffmpeg should decode the file (a codec or channel layout this reader
 * leaves to it); `invalid` means the header contradicts itself.
 */
export class PcmHeaderError extends Error {
  override name = 'PcmHeaderError';
  readonly kind: 'unsupported' | 'invalid';

  constructor(kind: 'unsupported' | 'invalid', message: string) {
    super(message);
    this.kind = kind;
  }
}

// WAVE_FORMAT_EXTENSIBLE channel masks that ffmpeg passes through unchanged at `-ac <channels>`
// (its default layout for that count, or one it maps onto it 1:1). Any other mask is remixed or
// refused by ffmpeg, so those files go to ffmpeg: both paths must give the same channels.
const IDENTITY_MASKS: Readonly<Record<number, readonly number[]>> = {
  1: [0x4, 0x1],
  2: [0x3],
  3: [0xb],
  4: [0x107],
  5: [0x37, 0x607],
  6: [0x3f, 0x60f],
  7: [0x70f],
  8: [0x63f],
};
// CoreAudio layout tags (AIFF CHAN chunk) that ffmpeg writes for its default layout of each
// channel count, and so reads back without remixing: 2.1, 4.0, 5.0, 5.1, 7.1.
const IDENTITY_LAYOUT_TAGS: Readonly<Record<number, number>> = {
  3: (133 << 16) | 3,
  4: (115 << 16) | 4,
  5: (117 << 16) | 5,
  6: (121 << 16) | 6,
  8: (128 << 16) | 8,
};
const LAYOUT_TAG_USE_BITMAP = 1 << 16;
/** The KSDATAFORMAT_SUBTYPE GUID after its first two bytes (the format tag). */
const SUBTYPE_TAIL = Buffer.from('000000001000800000aa00389b71', 'hex');
const WAVE_PCM = 1;
const WAVE_FLOAT = 3;
const WAVE_EXTENSIBLE = 0xfffe;
/** Chunks are skipped by seeking, never read, so a 100 MB cover art chunk costs nothing; but stop somewhere. */
const MAX_CHUNKS = 1000;

/**
 * Reads the header of a WAV (RIFF/WAVE) or AIFF/AIFF-C file: integer PCM
 * of 8, 16, 24 or 32 bits, 32- or 64-bit float, WAVE_FORMAT_EXTENSIBLE
 * with a PCM or float subtype, AIFF-C `NONE`, `twos`, `sowt`, `fl32`,
 * `fl64`. Throws PcmHeaderError for anything else.
 */
export async function readPcmLayout(file: FileHandle, fileBytes: number): Promise<PcmLayout> {
  const head = await readAt(file, 0, 12);
  const magic = head.toString('latin1', 0, 4);
  const form = head.toString('latin1', 8, 12);
  if (magic === 'RIFF' && form === 'WAVE') return readWav(file, fileBytes);
  if (magic === 'FORM' && (form === 'AIFF' || form === 'AIFC'))
    return readAiff(file, fileBytes, form === 'AIFC');
  throw new PcmHeaderError('unsupported', `not a RIFF/WAVE or AIFF file (${magic}/${form})`);
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead < length)
    throw new PcmHeaderError('invalid', `header cut short at byte ${position + bytesRead}`);
  return buffer;
}

/** Chunk ids and sizes from `start`, in order; bodies are not read. */
async function* chunks(file: FileHandle, fileBytes: number, littleEndian: boolean) {
  let offset = 12;
  for (let n = 0; n < MAX_CHUNKS && offset + 8 <= fileBytes; n++) {
    const h = await readAt(file, offset, 8);
    const size = littleEndian ? h.readUInt32LE(4) : h.readUInt32BE(4);
    yield { id: h.toString('latin1', 0, 4), body: offset + 8, size };
    // Chunks are padded to an even length in both formats.
    offset += 8 + size + (size & 1);
  }
}

async function readWav(file: FileHandle, fileBytes: number): Promise<PcmLayout> {
  let fmt: Omit<PcmLayout, 'dataOffset' | 'dataBytes'> | undefined;
  for await (const chunk of chunks(file, fileBytes, true)) {
    if (chunk.id === 'fmt ') {
      if (chunk.size < 16) throw new PcmHeaderError('invalid', `fmt chunk of ${chunk.size} bytes`);
      fmt = parseWavFormat(await readAt(file, chunk.body, Math.min(chunk.size, 40)));
    } else if (chunk.id === 'data') {
      if (!fmt) throw new PcmHeaderError('invalid', 'data chunk before the fmt chunk');
      // 0 and 0xFFFFFFFF are what streaming writers leave when they cannot seek back: ffmpeg's call.
      if (chunk.size === 0 || chunk.size === 0xffffffff) {
        throw new PcmHeaderError('unsupported', `data chunk size ${chunk.size}`);
      }
      return { ...fmt, dataOffset: chunk.body, dataBytes: chunk.size };
    }
  }
  throw new PcmHeaderError('invalid', fmt ? 'no data chunk' : 'no fmt chunk');
}

function parseWavFormat(b: Buffer): Omit<PcmLayout, 'dataOffset' | 'dataBytes'> {
  let tag = b.readUInt16LE(0);
  const channels = b.readUInt16LE(2);
  const sampleRate = b.readUInt32LE(4);
  const blockAlign = b.readUInt16LE(12);
  const bits = b.readUInt16LE(14);
  if (tag === WAVE_EXTENSIBLE) {
    if (b.length < 40 || b.readUInt16LE(16) < 22)
      throw new PcmHeaderError('invalid', 'short extensible fmt chunk');
    const validBits = b.readUInt16LE(18);
    const mask = b.readUInt32LE(20);
    if (!b.subarray(26, 40).equals(SUBTYPE_TAIL))
      throw new PcmHeaderError('unsupported', 'extensible subtype');
    if (validBits > bits)
      throw new PcmHeaderError('invalid', `${validBits} valid bits in ${bits}-bit samples`);
    if (mask !== 0 && !IDENTITY_MASKS[channels]?.includes(mask)) {
      throw new PcmHeaderError('unsupported', `channel mask 0x${mask.toString(16)} for ${channels} channels`);
    }
    tag = b.readUInt16LE(24);
  }
  if (channels === 0 || sampleRate === 0) {
    throw new PcmHeaderError('invalid', `${channels} channels at ${sampleRate} Hz`);
  }
  const encoding =
    tag === WAVE_FLOAT ? 'float' : tag === WAVE_PCM ? (bits === 8 ? 'uint' : 'int') : undefined;
  if (!encoding) throw new PcmHeaderError('unsupported', `WAVE format tag 0x${tag.toString(16)}`);
  checkSampleSize(encoding, bits);
  if (blockAlign !== (channels * bits) / 8) {
    throw new PcmHeaderError('invalid', `block align ${blockAlign} for ${channels} x ${bits} bits`);
  }
  return { container: 'wav', encoding, bytesPerSample: bits / 8, littleEndian: true, channels, sampleRate };
}

async function readAiff(file: FileHandle, fileBytes: number, aifc: boolean): Promise<PcmLayout> {
  let comm: Omit<PcmLayout, 'dataOffset' | 'dataBytes'> | undefined;
  let layout: Buffer | undefined;
  for await (const chunk of chunks(file, fileBytes, false)) {
    if (chunk.id === 'COMM') {
      if (chunk.size < (aifc ? 22 : 18))
        throw new PcmHeaderError('invalid', `COMM chunk of ${chunk.size} bytes`);
      comm = parseAiffCommon(await readAt(file, chunk.body, aifc ? 22 : 18), aifc);
    } else if (chunk.id === 'CHAN') {
      if (chunk.size < 12) throw new PcmHeaderError('invalid', `CHAN chunk of ${chunk.size} bytes`);
      layout = await readAt(file, chunk.body, 12);
    } else if (chunk.id === 'SSND') {
      if (!comm) throw new PcmHeaderError('unsupported', 'SSND chunk before the COMM chunk');
      if (layout) checkAiffLayout(layout, comm.channels);
      if (chunk.size < 8) throw new PcmHeaderError('invalid', `SSND chunk of ${chunk.size} bytes`);
      const skip = (await readAt(file, chunk.body, 8)).readUInt32BE(0);
      if (skip > chunk.size - 8) throw new PcmHeaderError('invalid', `SSND offset ${skip} past its chunk`);
      return { ...comm, dataOffset: chunk.body + 8 + skip, dataBytes: chunk.size - 8 - skip };
    }
  }
  throw new PcmHeaderError('invalid', comm ? 'no SSND chunk' : 'no COMM chunk');
}

function parseAiffCommon(b: Buffer, aifc: boolean): Omit<PcmLayout, 'dataOffset' | 'dataBytes'> {
  const channels = b.readUInt16BE(0);
  const bits = b.readUInt16BE(6);
  const sampleRate = extendedToNumber(b.subarray(8, 18));
  const compression = aifc ? b.toString('latin1', 18, 22) : 'NONE';
  if (channels === 0 || !(sampleRate >= 1 && Number.isInteger(sampleRate))) {
    throw new PcmHeaderError('invalid', `${channels} channels at ${sampleRate} Hz`);
  }
  let encoding: PcmLayout['encoding'] = 'int';
  let littleEndian = false;
  let size = bits;
  switch (compression) {
    case 'NONE':
    case 'twos':
      break;
    case 'sowt':
      littleEndian = true;
      break;
    case 'fl32':
    case 'FL32':
      encoding = 'float';
      size = 32;
      break;
    case 'fl64':
    case 'FL64':
      encoding = 'float';
      size = 64;
      break;
    default:
      throw new PcmHeaderError('unsupported', `AIFF-C compression ${JSON.stringify(compression)}`);
  }
  checkSampleSize(encoding, size);
  return { container: 'aiff', encoding, bytesPerSample: size / 8, littleEndian, channels, sampleRate };
}

/** A CHAN chunk is fine when ffmpeg would keep the channels as they are; otherwise ffmpeg decodes. */
function checkAiffLayout(b: Buffer, channels: number): void {
  const tag = b.readUInt32BE(0);
  const bitmap = b.readUInt32BE(4);
  const identity =
    tag === IDENTITY_LAYOUT_TAGS[channels] ||
    (tag === LAYOUT_TAG_USE_BITMAP && (IDENTITY_MASKS[channels]?.includes(bitmap) ?? false));
  if (!identity) {
    throw new PcmHeaderError(
      'unsupported',
      `AIFF channel layout tag 0x${tag.toString(16)} (bitmap 0x${bitmap.toString(16)})`,
    );
  }
}

function checkSampleSize(encoding: PcmLayout['encoding'], bits: number): void {
  const ok = encoding === 'float' ? bits === 32 || bits === 64 : [8, 16, 24, 32].includes(bits);
  if (!ok) throw new PcmHeaderError('unsupported', `${bits}-bit ${encoding} samples`);
}

/** The 80-bit IEEE 754 extended float of AIFF's sample rate. */
function extendedToNumber(b: Buffer): number {
  const exponent = b.readUInt16BE(0) & 0x7fff;
  const mantissa = b.readUInt32BE(2) * 2 ** 32 + b.readUInt32BE(6);
  if (exponent === 0 && mantissa === 0) return 0;
  const value = mantissa * 2 ** (exponent - 16383 - 63);
  return b[0]! & 0x80 ? -value : value;
}
