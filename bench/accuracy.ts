// Tempo and key accuracy on the evaluation set (rendered MIDI arrangements
// whose tempo and key are known by construction): Tonegraph's analysers in
// the worker pool, beside aubio and librosa as anchors, per style.
//   npm run bench -- accuracy [--count 216] [--seed 1] [--split test|tune|all]
//                             [--tools tonegraph,aubio,librosa] [--threads N]
// The set, the librosa virtual environment and the anchors' answers are kept
// in the cache folder (default $TMPDIR/tonegraph-bench-accuracy); Tonegraph is
// measured afresh each run. Reported numbers are the held-out `test` half.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAnalysisPool } from '@tonegraph/audio-analysis';
import { generateEvalSet, STYLES, type EvalPiece } from '@tonegraph/fixtures/eval';
import { aubioTempo, librosaEstimates } from './support/accuracy-anchors.ts';
import {
  calibration,
  keyScore,
  summarise,
  tempoAccuracy1,
  type Estimate,
  type Summary,
} from './support/accuracy-score.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    count: { type: 'string', default: '216' },
    seed: { type: 'string', default: '1' },
    split: { type: 'string', default: 'test' },
    tools: { type: 'string', default: 'tonegraph,aubio,librosa' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    cache: { type: 'string', default: path.join(os.tmpdir(), 'tonegraph-bench-accuracy') },
  },
});
const threads = Number(values.threads);
const cache = values.cache;
const tools = values.tools.split(',');
const setName = `set-${values.count}-seed${values.seed}`;

const PITCH = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];

async function tonegraph(files: readonly string[]): Promise<Estimate[]> {
  const pool = createAnalysisPool({ threads, taskTimeoutMs: 600_000 });
  const out = new Array<Estimate>(files.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: threads * 2 }, async () => {
      while (next < files.length) {
        const i = next++;
        const a = await pool.analyze(files[i]!);
        out[i] = {
          bpm: a.tempo?.bpm ?? null,
          tempoConfidence: a.tempo?.confidence,
          key: a.key ? { tonic: PITCH.indexOf(a.key.tonic), mode: a.key.mode } : null,
          keyConfidence: a.key?.confidence,
        };
      }
    }),
  );
  await pool.close();
  return out;
}

/**
 * An anchor's answers, kept per file in the cache (they never change): only
 * files not measured yet are run, so an interrupted run resumes.
 */
async function cached(
  tool: string,
  files: readonly string[],
  run: (missing: readonly string[]) => Promise<Estimate[]>,
): Promise<Estimate[]> {
  const file = path.join(cache, `${setName}.${tool}.json`);
  const kept: Record<string, Estimate> = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as Record<string, Estimate>,
    () => ({}),
  );
  const missing = files.filter((f) => !(path.basename(f) in kept));
  // In batches, each saved: librosa takes seconds of CPU per file.
  for (let i = 0; i < missing.length; i += 24) {
    const batch = missing.slice(i, i + 24);
    const result = await run(batch);
    batch.forEach((f, j) => (kept[path.basename(f)] = result[j]!));
    await writeFile(file, JSON.stringify(kept));
    process.stderr.write(`accuracy: ${tool} ${Object.keys(kept).length} files measured\n`);
  }
  return files.map((f) => kept[path.basename(f)]!);
}

await mkdir(cache, { recursive: true });
const started = performance.now();
const set = await generateEvalSet(path.join(cache, setName), {
  count: Number(values.count),
  seed: Number(values.seed),
  parallel: threads,
});
process.stderr.write(
  `accuracy: set ready (${set.pieces.length} pieces) in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
// Tonegraph runs on the whole set (its answers are written out for study); the anchors, which
// take far longer, only on the split reported.
const selected = (p: EvalPiece) => values.split === 'all' || p.split === values.split;
const files = set.pieces.map((p) => path.join(set.dir, p.file));
const picked = set.pieces.filter(selected).map((p) => path.join(set.dir, p.file));
const results = new Map<string, Estimate[]>();
for (const tool of tools) {
  const t0 = performance.now();
  if (tool === 'tonegraph') results.set('Tonegraph', await tonegraph(files));
  else if (tool === 'aubio')
    results.set('aubio', spread(await cached('aubio', picked, (f) => aubioTempo(f, threads))));
  else if (tool === 'librosa')
    results.set(
      'librosa',
      spread(await cached('librosa', picked, (f) => librosaEstimates(f, cache, threads))),
    );
  else throw new Error(`unknown tool ${tool}; one of tonegraph, aubio, librosa`);
  process.stderr.write(`accuracy: ${tool} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

/** Answers for the picked pieces, placed at their index in the whole set (the rest never read). */
function spread(answers: readonly Estimate[]): Estimate[] {
  const out = new Array<Estimate>(set.pieces.length).fill({ bpm: null, key: null });
  set.pieces.filter(selected).forEach((p, i) => (out[p.index] = answers[i]!));
  return out;
}
if (results.has('Tonegraph')) {
  const per = set.pieces.map((p, i) => ({ ...p, estimate: results.get('Tonegraph')![i] }));
  await writeFile(path.join(cache, `${setName}.tonegraph.json`), JSON.stringify(per, null, 1));
}

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);
const header = ['style', 'pieces'];
for (const name of results.keys())
  header.push(`${name} A1`, `${name} A2`, `${name} key`, `${name} key exact`);
const lines = [
  `| ${header.join(' | ')} |`,
  `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
];
for (const style of [...STYLES, 'all'] as const) {
  const idx = set.pieces.flatMap((p, i) =>
    selected(p) && (style === 'all' || p.style === style) ? [i] : [],
  );
  const cells: string[] = [style === 'all' ? '**all**' : style, String(idx.length)];
  for (const [name, est] of results) {
    const s: Summary = summarise(
      idx.map((i) => ({ truth: set.pieces[i]!, estimate: est[i]! })),
      name !== 'aubio',
    );
    cells.push(pct(s.accuracy1), pct(s.accuracy2), pct(s.keyWeighted), pct(s.keyExact));
  }
  lines.push(`| ${cells.join(' | ')} |`);
}
process.stdout.write(`\nTempo Accuracy 1 / 2 and MIREX key score, ${values.split} split of ${setName}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
const own = results.get('Tonegraph');
if (own) {
  const mine = set.pieces.flatMap((p, i) => (selected(p) ? [{ p, e: own[i]! }] : []));
  const tempo = calibration(
    mine.map(({ p, e }) => ({ confidence: e.tempoConfidence, right: tempoAccuracy1(e.bpm, p.bpm) })),
  );
  const key = calibration(
    mine.map(({ p, e }) => ({ confidence: e.keyConfidence, right: keyScore(e.key, p) === 1 })),
  );
  process.stdout.write(
    `\nTonegraph confidence ≥ 0.8: tempo ${tempo.answers} answers, ${pct(tempo.right)} right (A1); key ${key.answers} answers, ${pct(key.right)} exactly right\n`,
  );
}
