import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { Api } from './api.ts';
import { startEmbeddedImport } from './embedded.ts';
import { createProgressBar, type Progress } from './progress-bar.ts';

export interface ImportOptions {
  readonly path: string;
  readonly name?: string;
  readonly full: boolean;
  readonly watch: boolean;
  readonly sequential: boolean;
  readonly out: NodeJS.WriteStream;
}

const FINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const PROGRESS_FIELDS = 'status total processed failed skipped analysis { total processed failed }';

/** Exit codes: 0 imported, 1 the job failed, 3 imported but some files could not be read or analysed. */
export const EXIT = { ok: 0, failed: 1, usage: 2, someFilesFailed: 3 } as const;

/**
 * `tonegraph import <path>`: adds the folder as a library if it is not one,
 * starts a scan, shows its progress until the job ends, lists what could not
 * be imported, and (with --watch) goes on showing the imports the watcher starts.
 */
export async function runImport(api: Api, options: ImportOptions): Promise<number> {
  const root = await realpath(path.resolve(options.path));
  const library = await findOrAddLibrary(api, root, options.name ?? path.basename(root));
  const mode = options.full ? 'FULL' : 'INCREMENTAL';
  options.out.write(`library ${library.name} (${library.id}) at ${root}\n`);

  let jobId: string;
  let embedded: Awaited<ReturnType<typeof startEmbeddedImport>> | undefined;
  if (options.sequential) {
    embedded = await startEmbeddedImport(library.id, mode);
    jobId = embedded.jobId;
  } else {
    const { scanLibrary } = await api.request<{ scanLibrary: { id: string } }>(
      `mutation($id: ID!, $mode: ScanMode) { scanLibrary(id: $id, mode: $mode) { id } }`,
      { id: library.id, mode },
    );
    jobId = scanLibrary.id;
  }
  let final: Progress;
  try {
    final = await follow(api, jobId, options.out);
  } finally {
    await embedded?.close();
  }
  await printErrors(api, jobId, options.out);
  if (options.watch) await watchLibrary(api, library.id, options.out);
  if (final.status !== 'COMPLETED') return EXIT.failed;
  return final.failed > 0 || (final.analysis?.failed ?? 0) > 0 ? EXIT.someFilesFailed : EXIT.ok;
}

async function findOrAddLibrary(api: Api, root: string, name: string) {
  const { libraries } = await api.request<{ libraries: { id: string; name: string; path: string }[] }>(
    `{ libraries { id name path } }`,
  );
  const existing = libraries.find((l) => l.path === root);
  if (existing) return existing;
  const { addLibrary } = await api.request<{ addLibrary: { id: string; name: string } }>(
    `mutation($path: String!, $name: String!) { addLibrary(path: $path, name: $name) { id name } }`,
    { path: root, name },
  );
  return addLibrary;
}

/**
 * Shows a job's progress from the importProgress subscription until it ends.
 * Where subscriptions are not available (an API without WebSocket support),
 * it polls the job instead and says so.
 */
async function follow(api: Api, jobId: string, out: NodeJS.WriteStream): Promise<Progress> {
  const bar = createProgressBar(out, `import ${jobId.slice(0, 8)}`);
  let last: Progress | undefined;
  try {
    for await (const { importProgress } of api.subscribe<{ importProgress: Progress }>(
      `subscription($jobId: ID!) { importProgress(jobId: $jobId) { ${PROGRESS_FIELDS} } }`,
      { jobId },
    )) {
      last = importProgress;
      bar.update(last);
      if (FINAL.has(last.status)) break;
    }
  } catch (error) {
    out.write(`\nlive progress unavailable (${(error as Error).message}); polling the job instead\n`);
  }
  while (!last || !FINAL.has(last.status)) {
    const { importJob } = await api.request<{ importJob: Progress | null }>(
      `query($id: ID!) { importJob(id: $id) { ${PROGRESS_FIELDS} } }`,
      { id: jobId },
    );
    if (!importJob) throw new Error(`import job ${jobId} vanished`);
    last = importJob;
    bar.update(last);
    if (!FINAL.has(last.status)) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  bar.done(last);
  return last;
}

async function printErrors(api: Api, jobId: string, out: NodeJS.WriteStream): Promise<void> {
  const { importJob } = await api.request<{
    importJob: {
      errors: { totalCount: number; edges: { node: { path: string; stage: string; reason: string } }[] };
    };
  }>(
    `query($id: ID!) { importJob(id: $id) { errors(first: 20) { totalCount edges { node { path stage reason } } } } }`,
    { id: jobId },
  );
  const { totalCount, edges } = importJob.errors;
  if (totalCount === 0) return;
  out.write(`${totalCount} file(s) not imported:\n`);
  for (const { node } of edges) out.write(`  ${node.path}\n    ${node.stage}: ${node.reason}\n`);
  if (totalCount > edges.length) out.write(`  … and ${totalCount - edges.length} more (tonegraph status)\n`);
}

/** Follows the library's later imports (those its watcher starts) until interrupted. */
async function watchLibrary(api: Api, libraryId: string, out: NodeJS.WriteStream): Promise<void> {
  out.write('watching for changes; Ctrl-C to stop\n');
  const bars = new Map<string, ReturnType<typeof createProgressBar>>();
  const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  const events = api.subscribe<{ libraryEvents: { progress: (Progress & { job: { id: string } }) | null } }>(
    `subscription($id: ID!) { libraryEvents(libraryId: $id) { progress { job { id } ${PROGRESS_FIELDS} } } }`,
    { id: libraryId },
  );
  const consume = (async () => {
    for await (const { libraryEvents } of events) {
      const p = libraryEvents.progress;
      if (!p) continue;
      let bar = bars.get(p.job.id);
      if (!bar) bars.set(p.job.id, (bar = createProgressBar(out, `import ${p.job.id.slice(0, 8)}`)));
      if (FINAL.has(p.status)) {
        bar.done(p);
        bars.delete(p.job.id);
      } else bar.update(p);
    }
  })();
  await Promise.race([stop, consume]);
  await events.return(undefined);
}
