// The anchors of the accuracy benchmark: aubio (Debian's `aubio tempo`) and
// librosa (PyPI, in a virtual environment made here). Tonegraph never runs
// either; they are only measured against (aubio is GPL).
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ensureDebianPackages } from '@tonegraph/stack/debian-packages';
import type { Estimate } from './accuracy-score.ts';

const execFileAsync = promisify(execFile);

/** Runs `task` over `items`, `parallel` at a time, results in the items' order. */
async function mapBounded<T, R>(
  items: readonly T[],
  parallel: number,
  task: (t: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}

/**
 * aubio's tempo for each file (`aubio tempo`, defaults: it prints the beat
 * times, then the tempo it followed). aubio has no key detection.
 */
export async function aubioTempo(files: readonly string[], parallel: number): Promise<Estimate[]> {
  await ensureDebianPackages([
    { name: 'accuracy benchmark', packages: ['aubio-tools'], commands: ['aubio'] },
  ]);
  return mapBounded(files, parallel, async (file) => {
    const { stdout } = await execFileAsync('nice', ['-n', '10', 'aubio', 'tempo', file], {
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const match = /([\d.]+)\s*bpm/i.exec(stdout);
    return { bpm: match ? Number(match[1]) : null, key: null };
  });
}

/** Makes (once) a virtual environment with librosa under `cacheDir`; returns its python. */
async function librosaPython(cacheDir: string): Promise<string> {
  const venv = path.join(cacheDir, 'venv');
  const python = path.join(venv, 'bin', 'python');
  const ready = await execFileAsync(python, ['-c', 'import librosa']).then(
    () => true,
    () => false,
  );
  if (!ready) {
    process.stderr.write(`accuracy: installing librosa into ${venv} (once; a few minutes)\n`);
    await execFileAsync('python3', ['-m', 'venv', venv]);
    await execFileAsync(python, ['-m', 'pip', 'install', '--quiet', 'librosa'], { timeout: 1_800_000 });
  }
  return python;
}

/**
 * librosa's tempo (`feature.tempo`, defaults) and a Krumhansl–Schmuckler key
 * over its CQT chroma (librosa has no key estimator), one Python process
 * with `parallel` workers.
 */
export async function librosaEstimates(
  files: readonly string[],
  cacheDir: string,
  parallel: number,
): Promise<Estimate[]> {
  const python = await librosaPython(cacheDir);
  const script = path.join(import.meta.dirname, 'librosa-anchor.py');
  const child = spawn('nice', ['-n', '10', python, script, String(parallel)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(files.join('\n') + '\n');
  const byFile = new Map<string, Estimate>();
  for await (const line of createInterface({ input: child.stdout })) {
    const r = JSON.parse(line) as { file: string; bpm: number; tonic: number; mode: 'major' | 'minor' };
    byFile.set(r.file, { bpm: r.bpm, key: { tonic: r.tonic, mode: r.mode } });
  }
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`librosa anchor exited with ${code}`);
  return files.map((f) => byFile.get(f) ?? { bpm: null, key: null });
}
