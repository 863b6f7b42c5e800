import { Binary } from 'mongodb';
import type { GatingHistogram, Waveform } from '@tonegraph/audio-analysis';

/**
 * The large parts of an analysis as the store keeps them: a few kilobytes
 * of BSON Binary instead of arrays of doubles (a 4,096-point waveform alone
 * is 8,192 doubles, ~100 KB as BSON and more in FerretDB's JSON).
 */

/** A waveform as stored: one signed byte per min and per max, interleaved (min₀ max₀ min₁ max₁ …). */
export interface StoredWaveform {
  readonly points: number;
  readonly peaks: Binary;
}

/** A gating histogram as stored: only its non-empty bins, lossless. */
export interface StoredHistogram {
  readonly minLufs: number;
  readonly stepLu: number;
  /** Number of bins of the full histogram. */
  readonly bins: number;
  /** Indexes of the non-empty bins, uint32 little-endian. */
  readonly index: Binary;
  /** Their block counts and energies, float64 little-endian (exact: album gain sums them). */
  readonly counts: Binary;
  readonly energies: Binary;
}

/** One step of the 8-bit scale: ±1.0 is ±127. */
const SCALE = 127;
const clampByte = (v: number) => Math.max(-128, Math.min(127, v));

/**
 * Mins are rounded down and maxes up, so the drawn envelope never falls
 * inside the real one; values beyond ±1 (inter-sample overs) are clipped to
 * the scale's ends.
 */
export function encodeWaveform(w: Waveform): StoredWaveform {
  const bytes = Buffer.alloc(w.points * 2);
  for (let i = 0; i < w.points; i++) {
    bytes.writeInt8(clampByte(Math.floor((w.min[i] ?? 0) * SCALE)), 2 * i);
    bytes.writeInt8(clampByte(Math.ceil((w.max[i] ?? 0) * SCALE)), 2 * i + 1);
  }
  return { points: w.points, peaks: new Binary(bytes) };
}

export function decodeWaveform(s: StoredWaveform): Waveform {
  const bytes = Buffer.from(s.peaks.buffer);
  const min = new Array<number>(s.points);
  const max = new Array<number>(s.points);
  for (let i = 0; i < s.points; i++) {
    min[i] = bytes.readInt8(2 * i) / SCALE;
    max[i] = bytes.readInt8(2 * i + 1) / SCALE;
  }
  return { points: s.points, min, max };
}

export function encodeHistogram(h: GatingHistogram): StoredHistogram {
  const used: number[] = [];
  for (let i = 0; i < h.counts.length; i++)
    if ((h.counts[i] ?? 0) !== 0 || (h.energies[i] ?? 0) !== 0) used.push(i);
  const index = Buffer.alloc(used.length * 4);
  const counts = Buffer.alloc(used.length * 8);
  const energies = Buffer.alloc(used.length * 8);
  used.forEach((bin, j) => {
    index.writeUInt32LE(bin, 4 * j);
    counts.writeDoubleLE(h.counts[bin] ?? 0, 8 * j);
    energies.writeDoubleLE(h.energies[bin] ?? 0, 8 * j);
  });
  return {
    minLufs: h.minLufs,
    stepLu: h.stepLu,
    bins: h.counts.length,
    index: new Binary(index),
    counts: new Binary(counts),
    energies: new Binary(energies),
  };
}

export function decodeHistogram(s: StoredHistogram): GatingHistogram {
  const index = Buffer.from(s.index.buffer);
  const countBytes = Buffer.from(s.counts.buffer);
  const energyBytes = Buffer.from(s.energies.buffer);
  const counts = new Array<number>(s.bins).fill(0);
  const energies = new Array<number>(s.bins).fill(0);
  for (let j = 0; j < index.length / 4; j++) {
    const bin = index.readUInt32LE(4 * j);
    counts[bin] = countBytes.readDoubleLE(8 * j);
    energies[bin] = energyBytes.readDoubleLE(8 * j);
  }
  return { minLufs: s.minLufs, stepLu: s.stepLu, counts, energies };
}
