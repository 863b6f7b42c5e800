// Adds a library through a gateway, runs a full scan and waits until the
// import and its analysis stage have ended: what the playback test and the
// stream benchmark need before they ask for tracks.
import { eventually } from '@tonegraph/testing';
import { gql } from './graphql.ts';

/** How the import ended. */
export interface ImportedLibrary {
  readonly libraryId: string;
  readonly jobId: string;
  readonly processed: number;
  readonly failed: number;
  readonly analysed: number;
}

interface JobState {
  readonly status: string;
  readonly processed: number;
  readonly failed: number;
  readonly analysis: { readonly total: number; readonly processed: number; readonly failed: number };
}

/**
 * Adds `dir` as library `name` through the gateway at `graphqlUrl`, starts a
 * full scan and resolves once the job is COMPLETED (which waits for the
 * analysis of every file it read); throws when it fails or `timeoutMs` passes.
 */
export async function importLibrary(
  graphqlUrl: string,
  dir: string,
  name: string,
  timeoutMs = 300_000,
): Promise<ImportedLibrary> {
  const { addLibrary } = await gql<{ addLibrary: { id: string } }>(
    graphqlUrl,
    `mutation($path: String!, $name: String!) { addLibrary(path: $path, name: $name) { id } }`,
    { path: dir, name },
  );
  const { scanLibrary } = await gql<{ scanLibrary: { id: string } }>(
    graphqlUrl,
    `mutation($id: ID!) { scanLibrary(id: $id, mode: FULL) { id } }`,
    { id: addLibrary.id },
  );
  let last: JobState | null = null;
  const job = await eventually(
    async () => {
      const { importJob } = await gql<{ importJob: JobState | null }>(
        graphqlUrl,
        `query($id: ID!) { importJob(id: $id) { status processed failed analysis { total processed failed } } }`,
        { id: scanLibrary.id },
      );
      last = importJob;
      if (importJob?.status === 'FAILED' || importJob?.status === 'CANCELLED')
        throw new Error(`import ${importJob.status.toLowerCase()}: ${JSON.stringify(importJob)}`);
      // A job completes once its analysis stage has ended for every file it read.
      return importJob?.status === 'COMPLETED' ? importJob : undefined;
    },
    { timeoutMs, intervalMs: 500, what: () => `import of ${dir} (last: ${JSON.stringify(last)})` },
  );
  return {
    libraryId: addLibrary.id,
    jobId: scanLibrary.id,
    processed: job.processed,
    failed: job.failed,
    analysed: job.analysis.processed - job.analysis.failed,
  };
}
