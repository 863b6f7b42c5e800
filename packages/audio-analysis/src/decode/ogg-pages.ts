import { DecoderFallbackError } from './types.ts';

/** CRC-32 of Ogg pages: polynomial 0x04C11DB7, MSB first, initial value 0, no final XOR. */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

const HEADER_BYTES = 27;

/**
 * Checks the framing and checksum of every Ogg page of a stream, fed in
 * arbitrary chunks. The WASM Ogg decoders parse pages with their CRC check
 * turned off, so a damaged page would be decoded into noise; ffmpeg drops
 * it. A page that does not check out makes the fast path give the file to
 * ffmpeg (DecoderFallbackError), so both decode the same audio.
 */
export class OggPageChecker {
  /** Bytes of the page being assembled (a page is at most 65 307 bytes). */
  #pending = new Uint8Array(0);

  push(data: Uint8Array): void {
    let buf = data;
    if (this.#pending.length > 0) {
      buf = new Uint8Array(this.#pending.length + data.length);
      buf.set(this.#pending);
      buf.set(data, this.#pending.length);
    }
    let at = 0;
    for (;;) {
      const size = pageSize(buf, at);
      if (size === 0 || at + size > buf.length) break;
      checkPage(buf, at, size);
      at += size;
    }
    this.#pending = buf.slice(at);
  }

  /** The stream has ended: nothing may be left over (a page cut short). */
  end(): void {
    if (this.#pending.length > 0) {
      throw new DecoderFallbackError(`Ogg stream ends inside a page (${this.#pending.length} bytes left)`);
    }
  }
}

/** Length of the page starting at `at`, or 0 while its header is incomplete. */
function pageSize(buf: Uint8Array, at: number): number {
  if (buf.length - at < HEADER_BYTES) return 0;
  if (buf[at] !== 0x4f || buf[at + 1] !== 0x67 || buf[at + 2] !== 0x67 || buf[at + 3] !== 0x53) {
    throw new DecoderFallbackError(`no Ogg page at byte offset ${at} of a chunk`);
  }
  const segments = buf[at + 26]!;
  if (buf.length - at < HEADER_BYTES + segments) return 0;
  let body = 0;
  for (let i = 0; i < segments; i++) body += buf[at + HEADER_BYTES + i]!;
  return HEADER_BYTES + segments + body;
}

function checkPage(buf: Uint8Array, at: number, size: number): void {
  const stated = (buf[at + 22]! | (buf[at + 23]! << 8) | (buf[at + 24]! << 16) | (buf[at + 25]! << 24)) >>> 0;
  let crc = 0;
  for (let i = 0; i < size; i++) {
    // The CRC field itself counts as zeros.
    const byte = i >= 22 && i < 26 ? 0 : buf[at + i]!;
    crc = (crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!;
  }
  if (crc >>> 0 !== stated) throw new DecoderFallbackError('Ogg page checksum mismatch');
}
