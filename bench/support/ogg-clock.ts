// Seconds of audio in an Ogg Opus stream as it arrives: the largest granule
// position of the pages seen so far (Opus counts 48 kHz samples), read from
// the page headers without decoding anything.

const CAPTURE = Buffer.from('OggS');
/** Bytes of a page header up to the end of its granule position. */
const HEADER_TO_GRANULE = 14;
const OPUS_RATE = 48_000;

/** Follows one Ogg Opus stream chunk by chunk. */
export class OggClock {
  /** The end of the previous chunk, where a page header may have been cut. */
  private tail = Buffer.alloc(0);
  private granule = 0n;

  /** Reads the page headers in `chunk`. */
  push(chunk: Uint8Array): void {
    const data = Buffer.concat([this.tail, chunk]);
    for (let i = data.indexOf(CAPTURE); i !== -1; i = data.indexOf(CAPTURE, i + 1)) {
      if (i + HEADER_TO_GRANULE > data.length) break;
      const granule = data.readBigInt64LE(i + 6);
      // -1: no packet ends on this page.
      if (granule > this.granule) this.granule = granule;
    }
    this.tail = data.subarray(Math.max(0, data.length - (HEADER_TO_GRANULE - 1)));
  }

  /** Seconds of audio received so far. */
  get seconds(): number {
    return Number(this.granule) / OPUS_RATE;
  }
}
