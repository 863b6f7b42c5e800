import FFT from 'fft.js';

/**
 * Cuts a stream into overlapping Hann-windowed frames and hands each
 * frame's power spectrum (bins 0..size/2) to `onSpectrum`. Holds one frame.
 */
export class SpectrumFramer {
  readonly #size: number;
  readonly #hop: number;
  readonly #fft: FFT;
  readonly #window: Float64Array;
  readonly #buffer: Float64Array;
  readonly #input: Float64Array;
  readonly #out: Float64Array;
  readonly #power: Float64Array;
  #fill = 0;
  readonly #onSpectrum: (power: Float64Array) => void;

  constructor(size: number, hop: number, onSpectrum: (power: Float64Array) => void) {
    this.#size = size;
    this.#hop = hop;
    this.#fft = new FFT(size);
    this.#window = Float64Array.from(
      { length: size },
      (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / size),
    );
    this.#buffer = new Float64Array(size);
    this.#input = new Float64Array(size);
    this.#out = new Float64Array(2 * size);
    this.#power = new Float64Array(size / 2 + 1);
    this.#onSpectrum = onSpectrum;
  }

  get retainedBytes(): number {
    return (
      this.#window.byteLength +
      this.#buffer.byteLength +
      this.#input.byteLength +
      this.#out.byteLength +
      this.#power.byteLength
    );
  }

  push(mono: Float32Array): void {
    let i = 0;
    while (i < mono.length) {
      const take = Math.min(mono.length - i, this.#size - this.#fill);
      for (let k = 0; k < take; k++) this.#buffer[this.#fill + k] = mono[i + k]!;
      this.#fill += take;
      i += take;
      if (this.#fill === this.#size) {
        this.#frame();
        this.#buffer.copyWithin(0, this.#hop);
        this.#fill = this.#size - this.#hop;
      }
    }
  }

  #frame(): void {
    const n = this.#size;
    for (let k = 0; k < n; k++) this.#input[k] = this.#buffer[k]! * this.#window[k]!;
    this.#fft.realTransform(this.#out, this.#input);
    const out = this.#out;
    for (let k = 0; k <= n / 2; k++) {
      const re = out[2 * k]!;
      const im = out[2 * k + 1]!;
      this.#power[k] = re * re + im * im;
    }
    this.#onSpectrum(this.#power);
  }
}
