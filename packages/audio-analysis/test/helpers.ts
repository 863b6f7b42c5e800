import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { probeAudio, type Decoder, type PcmFormat } from '../src/index.ts';

const execFileAsync = promisify(execFile);

/** A temporary folder, removed by the suite's `after` hook registered here. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tonegraph-audio-analysis-'));
  });
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));
  return () => dir!;
}

/** Runs ffmpeg quietly; rejects with its stderr. */
export async function ffmpeg(...args: string[]): Promise<string> {
  const { stderr } = await execFileAsync('ffmpeg', ['-hide_banner', '-nostdin', '-y', ...args], {
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return stderr;
}

/** Writes `seconds` of an aevalsrc expression, then optional `filters`, to `file` (float WAV by default). */
export async function synthesize(
  file: string,
  expr: string,
  { rate = 48_000, channels = 1, seconds = 10, codec = ['-c:a', 'pcm_f32le'], filters = '' } = {},
): Promise<string> {
  const exprs = Array.from({ length: channels }, () => expr).join('|');
  const graph = `aevalsrc=exprs=${exprs}:s=${rate}:d=${seconds}${filters ? `,${filters}` : ''}`;
  await ffmpeg('-v', 'error', '-f', 'lavfi', '-i', graph, ...codec, file);
  return file;
}

export interface Ebur128 {
  readonly integrated: number;
  readonly range: number;
  readonly truePeak: number;
}

/** ffmpeg's own EBU R128 meter (the `ebur128` filter) as the reference. */
export async function ebur128(file: string): Promise<Ebur128> {
  const stderr = await ffmpeg(
    '-nostats',
    '-i',
    file,
    '-filter_complex',
    'ebur128=peak=true',
    '-f',
    'null',
    '-',
  );
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const num = (re: RegExp): number => {
    const m = re.exec(summary);
    if (!m) throw new Error(`no ${String(re)} in ebur128 summary:\n${summary}`);
    return Number(m[1]);
  };
  return {
    integrated: num(/I:\s+(-?[\d.]+|-inf) LUFS/),
    range: num(/LRA:\s+(-?[\d.]+) LU/),
    truePeak: num(/Peak:\s+(-?[\d.]+|-inf) dBFS/),
  };
}

/** A 32-bit float WAV of interleaved samples (what the synthetic signals are written as). */
export async function writeFloatWav(
  file: string,
  samples: Float32Array,
  rate: number,
  channels: number,
): Promise<void> {
  const header = Buffer.alloc(44);
  const bytes = samples.length * 4;
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(3, 20); // IEEE float
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * 4, 28);
  header.writeUInt16LE(channels * 4, 32);
  header.writeUInt16LE(32, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(bytes, 40);
  await writeFile(file, Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, bytes)]));
}

/** Live (not zombie) tonegraph-decoder processes started by this process's threads. */
export async function decoderProcesses(): Promise<number[]> {
  const pids: number[] = [];
  for (const task of await readdir('/proc/self/task')) {
    const children = await readFile(`/proc/self/task/${task}/children`, 'utf8').catch(() => '');
    for (const pid of children.split(' ').filter(Boolean).map(Number)) {
      const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
      // The kernel keeps 15 characters of the name.
      if (/^Name:\s+tonegraph-decod/m.test(status) && !/^State:\s+Z/m.test(status)) pids.push(pid);
    }
  }
  return pids;
}

/** Resolves once every one of `pids` has exited; fails after 5 s. */
export async function decoderProcessesGone(pids: readonly number[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const live = await decoderProcesses();
    if (!pids.some((p) => live.includes(p))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`decoder processes ${pids.join(', ')} still running`);
}

/** Every sample a decoder yields for `file` (at `format`, else the prober's), in one array. */
export async function decodeAll(decoder: Decoder, file: string, format?: PcmFormat): Promise<Float32Array> {
  const { sampleRate, channels } = format ?? (await probeAudio(file));
  const parts: Float32Array[] = [];
  for await (const chunk of decoder.decode(file, { sampleRate, channels })) parts.push(chunk.slice());
  const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}
