// Audio analysis throughput and memory: the worker pool on every core, with
// streaming decode against decoding each file whole before analysing (the
// baseline, same run), for the default hybrid decoder (direct WAV/AIFF, WASM
// for short FLAC/Ogg/Opus, ffmpeg for the rest), ffmpeg alone and the
// in-worker WASM decoders alone.
//   npm run bench -- analysis [--files 500] [--threads N] [--long-files 7] [--long-seconds 300]
//                             [--decoders hybrid,libav,ffmpeg,wasm]
// Two corpora: the generated library (short tracks: throughput) and a few
// full-length tracks (memory: a whole decoded 5-minute track is ~100 MB).
// Each run is its own process, so each peak RSS is that run's alone.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { createAnalysisPool, type DecoderName } from '@tonegraph/audio-analysis';
import { generateLibrary } from '@tonegraph/fixtures/library';

const execFileAsync = promisify(execFile);
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    files: { type: 'string', default: '500' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    'long-files': { type: 'string', default: '7' },
    'long-seconds': { type: 'string', default: '300' },
    decoders: { type: 'string', default: 'hybrid,libav,ffmpeg,wasm' },
    child: { type: 'string' },
  },
});
const threads = Number(values.threads);

interface RunSpec {
  readonly corpus: string;
  readonly dir: string;
  readonly decoder: DecoderName;
  readonly wholeFile: boolean;
}

interface RunResult extends RunSpec {
  readonly files: number;
  readonly failed: number;
  readonly audioSeconds: number;
  readonly wallSeconds: number;
  readonly realtime: number;
  /** VmHWM of the analysing process (main thread + workers). */
  readonly peakRssMb: number;
  /** Highest sampled RSS of the process plus its decoder processes (ffmpeg or tonegraph-decoder). */
  readonly peakWithDecodersMb: number;
  /** CPU time of the process (all threads), of its exited ffmpeg children and of its live decoder processes. */
  readonly cpuSeconds: number;
  /** Audio seconds per CPU second: the realtime factor of one dedicated core, whatever else runs. */
  readonly realtimePerCore: number;
  /** The machine's 1-minute load average when the run ended (other work shares the cores). */
  readonly loadAverage: number;
}

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function listAudio(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter(
      (e) => e.isFile() && !e.name.startsWith('.') && /\.(flac|mp3|m4a|ogg|opus|wav|aiff)$/.test(e.name),
    )
    .filter((e) => !e.parentPath.includes(`${path.sep}.templates`))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function library(files: number): Promise<string> {
  // Same folder and generator as the ingest benchmark: one corpus on disk for both.
  const dir = path.join(os.tmpdir(), `tonegraph-bench-library-${files}`);
  if (await exists(path.join(dir, '.complete'))) return dir;
  await generateLibrary(dir, { files });
  await writeFile(path.join(dir, '.complete'), String(files));
  return dir;
}

const LONG_FORMATS: Record<string, string[]> = {
  flac: ['-c:a', 'flac'],
  mp3: ['-c:a', 'libmp3lame', '-b:a', '192k'],
  m4a: ['-c:a', 'aac', '-b:a', '160k'],
  ogg: ['-c:a', 'libvorbis', '-q:a', '4'],
  opus: ['-c:a', 'libopus', '-b:a', '96k'],
  wav: ['-c:a', 'pcm_s16le'],
  aiff: ['-c:a', 'pcm_s16be'],
};

async function longTracks(count: number, seconds: number): Promise<string> {
  const dir = path.join(os.tmpdir(), `tonegraph-bench-long-${count}x${seconds}`);
  if (await exists(path.join(dir, '.complete'))) return dir;
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, '.source.wav');
  // A triad with a kick on every beat and a slow swell, so every analyser has work.
  const expr =
    '(0.15*sin(2*PI*220*t)+0.12*sin(2*PI*261.63*t)+0.1*sin(2*PI*329.63*t))*(0.6+0.4*sin(2*PI*t/20))' +
    '+0.5*lt(mod(t\\,0.5)\\,0.03)*sin(2*PI*60*t)';
  await execFileAsync('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i'],
    `aevalsrc=exprs=${expr}|${expr}:s=44100:d=${seconds}`,
    ...['-c:a', 'pcm_s16le', source],
  ]);
  const exts = Object.keys(LONG_FORMATS);
  for (let i = 0; i < count; i++) {
    const ext = exts[i % exts.length]!;
    await execFileAsync('ffmpeg', [
      '-v',
      'error',
      '-y',
      '-i',
      source,
      ...LONG_FORMATS[ext]!,
      path.join(dir, `long-${i}.${ext}`),
    ]);
  }
  await writeFile(path.join(dir, '.complete'), '');
  return dir;
}

/** utime + stime + cutime + cstime of this process (reaped children included), seconds. */
async function cpuSeconds(): Promise<number> {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14-17 of proc(5), counted from after the command name (which starts at field 3).
  const ticks = [11, 12, 13, 14].reduce((a, i) => a + Number(fields[i]), 0);
  return ticks / 100;
}

/** Children of process `pid` (of every thread: each analysis worker starts its own decoders). */
async function childPids(pid: number | 'self'): Promise<number[]> {
  const pids: number[] = [];
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [])) {
    const children = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
    pids.push(...children.split(' ').filter(Boolean).map(Number));
  }
  return pids;
}

/** utime + stime of this process's live children (the long-lived decoder processes), seconds. */
async function liveChildrenCpuSeconds(): Promise<number> {
  let ticks = 0;
  for (const pid of await childPids('self')) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length > 12) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / 100;
}

/** RSS of process `pid` plus its child processes (the ffmpeg decoders), MB. */
async function totalRssMb(pid: number): Promise<number> {
  const pids = [pid, ...(await childPids(pid))];
  let pages = 0;
  for (const p of pids) {
    const statm = await readFile(`/proc/${p}/statm`, 'utf8').catch(() => '0 0');
    pages += Number(statm.split(' ')[1]);
  }
  return (pages * 4096) / 1024 / 1024;
}

/** One run, in its own process (`--child`); the parent adds the RSS it sampled. */
async function child(spec: RunSpec): Promise<Omit<RunResult, 'peakWithDecodersMb'>> {
  const files = await listAudio(spec.dir);
  const pool = createAnalysisPool({
    threads,
    decoder: spec.decoder,
    wholeFile: spec.wholeFile,
    taskTimeoutMs: 600_000,
  });
  let next = 0;
  let failed = 0;
  let audioSeconds = 0;
  const started = performance.now();
  const cpuStarted = await cpuSeconds();
  // Two files per thread in flight: the pool never idles, the queue stays short.
  await Promise.all(
    Array.from({ length: threads * 2 }, async () => {
      while (next < files.length) {
        const file = files[next++]!;
        try {
          const analysis = await pool.analyze(file);
          audioSeconds += analysis.durationSeconds;
        } catch (error) {
          failed++;
          if (failed <= 3) console.error(`${file}: ${(error as Error).message}`);
        }
      }
    }),
  );
  const wallSeconds = (performance.now() - started) / 1000;
  // Decoder processes started during the run and still alive: all their CPU is the run's.
  const decoderCpu = await liveChildrenCpuSeconds();
  const cpu = (await cpuSeconds()) - cpuStarted + decoderCpu;
  await pool.close();
  const status = await readFile('/proc/self/status', 'utf8');
  return {
    ...spec,
    files: files.length,
    failed,
    audioSeconds,
    wallSeconds,
    realtime: audioSeconds / wallSeconds,
    peakRssMb: Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024,
    cpuSeconds: cpu,
    realtimePerCore: audioSeconds / cpu,
    loadAverage: os.loadavg()[0]!,
  };
}

async function run(spec: RunSpec): Promise<RunResult> {
  const proc = spawn(
    process.execPath,
    [import.meta.filename, '--threads', String(threads), '--child', JSON.stringify(spec)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  // Sampled from here, so the sampling's CPU is not counted in the run's.
  let peakWithDecodersMb = 0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peakWithDecodersMb = Math.max(peakWithDecodersMb, await totalRssMb(proc.pid!));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const [code] = (await once(proc, 'exit')) as [number | null];
  running = false;
  await sampler;
  if (code !== 0) throw new Error(`benchmark run ${JSON.stringify(spec)} exited with ${code}`);
  return { ...(JSON.parse(out) as Omit<RunResult, 'peakWithDecodersMb'>), peakWithDecodersMb };
}

if (values.child) {
  process.stdout.write(JSON.stringify(await child(JSON.parse(values.child) as RunSpec)));
} else {
  const files = Number(values.files);
  const lib = await library(files);
  const long = await longTracks(Number(values['long-files']), Number(values['long-seconds']));
  const runs: RunResult[] = [];
  for (const [corpus, dir] of [
    [`library (${files} files)`, lib],
    [`long (${values['long-files']} x ${values['long-seconds']} s)`, long],
  ] as const) {
    if ((await listAudio(dir)).length === 0) continue;
    for (const decoder of values.decoders.split(',') as DecoderName[]) {
      for (const wholeFile of [false, true]) {
        const r = await run({ corpus, dir, decoder, wholeFile });
        runs.push(r);
        console.error(
          `${corpus} ${decoder} ${wholeFile ? 'whole' : 'stream'}: ${r.realtime.toFixed(0)}x realtime`,
        );
      }
    }
  }
  console.table(
    runs.map((r) => ({
      corpus: r.corpus,
      decoder: r.decoder,
      decode: r.wholeFile ? 'whole file' : 'streaming',
      files: r.files,
      failed: r.failed,
      'audio s': r.audioSeconds.toFixed(0),
      'wall s': r.wallSeconds.toFixed(1),
      'x realtime': r.realtime.toFixed(0),
      'CPU s': r.cpuSeconds.toFixed(1),
      'x realtime per core': r.realtimePerCore.toFixed(0),
      'CPU ms per file': ((r.cpuSeconds * 1000) / r.files).toFixed(0),
      'peak RSS MB': r.peakRssMb.toFixed(0),
      'incl. decoders MB': r.peakWithDecodersMb.toFixed(0),
      load: r.loadAverage.toFixed(1),
    })),
  );
  const find = (corpus: string, decoder: string, whole: boolean) =>
    runs.find((r) => r.corpus.startsWith(corpus) && r.decoder === decoder && r.wholeFile === whole);
  const saving = (corpus: string, decoder: string) => {
    const streaming = find(corpus, decoder, false);
    const whole = find(corpus, decoder, true);
    return streaming && whole ? 1 - streaming.peakRssMb / whole.peakRssMb : undefined;
  };
  // The default decoder is what ingest runs: the targets are measured on it.
  const main = values.decoders.split(',')[0]!;
  const libraryRun = find('library', main, false);
  const summary = {
    decoder: main,
    realtimeAllCores: libraryRun?.realtime,
    realtimePerCore: libraryRun?.realtimePerCore,
    cpuMsPerLibraryFile: libraryRun ? (libraryRun.cpuSeconds * 1000) / libraryRun.files : undefined,
    memorySavingLong: saving('long', main),
    memorySavingLibrary: saving('library', main),
    ...Object.fromEntries(
      values.decoders.split(',').map((d) => [`memorySavingLong_${d}`, saving('long', d)] as const),
    ),
  };
  const pct = (v: number | undefined) => (v === undefined ? '?' : `${(v * 100).toFixed(0)} %`);
  console.log(
    `${main} streaming on ${threads} threads: ${summary.realtimeAllCores?.toFixed(0)}x realtime ` +
      `(${summary.realtimePerCore?.toFixed(0)}x per CPU core, ${summary.cpuMsPerLibraryFile?.toFixed(0)} ms of CPU ` +
      `per 4 s file; target ≥ 100x on all cores); peak RSS ${pct(summary.memorySavingLong)} below whole-file ` +
      `decoding on full-length tracks, ${pct(summary.memorySavingLibrary)} on the short library tracks (target ≥ 30 %)`,
  );
  await mkdir('bench/results', { recursive: true });
  await writeFile(
    'bench/results/analysis.json',
    `${JSON.stringify({ at: new Date().toISOString(), cores: os.availableParallelism(), loadAverage: os.loadavg(), threads, summary, runs }, null, 2)}\n`,
  );
}
