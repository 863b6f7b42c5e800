import type { Api } from './api.ts';

interface StatusData {
  libraries: {
    id: string;
    name: string;
    path: string;
    status: string;
    trackCount: number;
    lastScannedAt: string | null;
    watch: { mode: string; reason: string | null };
  }[];
  importJobs: {
    edges: {
      node: {
        id: string;
        status: string;
        mode: string;
        total: number;
        processed: number;
        failed: number;
        skipped: number;
        createdAt: string;
        library: { name: string };
        errors: { totalCount: number; edges: { node: { path: string; stage: string; reason: string } }[] };
      };
    }[];
  };
}

const QUERY = `{
  libraries { id name path status trackCount lastScannedAt watch { mode reason } }
  importJobs(first: 10) {
    edges { node {
      id status mode total processed failed skipped createdAt library { name }
      errors(first: 5) { totalCount edges { node { path stage reason } } }
    } }
  }
}`;

/** `tonegraph status`: libraries, the latest import jobs and their latest errors. */
export async function runStatus(api: Api, out: NodeJS.WriteStream): Promise<number> {
  const data = await api.request<StatusData>(QUERY);
  out.write('LIBRARIES\n');
  if (data.libraries.length === 0) out.write('  none yet: tonegraph import <path>\n');
  for (const l of data.libraries) {
    out.write(
      `  ${l.name}  ${l.status}  ${l.trackCount} tracks  watch ${l.watch.mode}` +
        `  last scan ${l.lastScannedAt ?? 'never'}\n    ${l.path}\n`,
    );
    if (l.watch.reason) out.write(`    ${l.watch.reason}\n`);
  }
  out.write('IMPORT JOBS (newest first)\n');
  const jobs = data.importJobs.edges.map((e) => e.node);
  if (jobs.length === 0) out.write('  none yet\n');
  for (const j of jobs) {
    out.write(
      `  ${j.id}  ${j.library.name}  ${j.mode}  ${j.status}  ${j.processed}/${j.total}` +
        `  failed ${j.failed}  skipped ${j.skipped}  ${j.createdAt}\n`,
    );
    for (const { node } of j.errors.edges)
      out.write(`    ✗ ${node.path}\n      ${node.stage}: ${node.reason}\n`);
    const more = j.errors.totalCount - j.errors.edges.length;
    if (more > 0) out.write(`    … and ${more} more (the newest 5 are shown)\n`);
  }
  return 0;
}
