// What the subscription test files share: a catalog and a probe subgraph
// composed into one supergraph, a library to follow, and Redis to publish
// ingest's events on.
import { Redis } from 'ioredis';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { testServices } from '@tonegraph/testing';
import { composeWithProbe, startProbe, type Probe } from './support.ts';

export interface LiveSubscriptions {
  readonly catalog: Harness;
  /** Adds `probe` fields to the catalog's entities (fetched by the gateway per event). */
  readonly probe: Probe;
  readonly supergraphSdl: string;
  /** Publishes as ingest does. */
  readonly redis: Redis;
  /** A library of the catalog (`Live`). */
  readonly libraryId: string;
  /** Subscribers of a Redis channel (the catalog's upstream subscriptions). */
  listeners(channel: string): Promise<number>;
  /** A new import job of the library, in `status`. */
  newJob(status?: string): Promise<string>;
  /** An import progress event of the library's job, as ingest publishes it. */
  progressEvent(jobId: string, status: string, processed: number): string;
  close(): Promise<void>;
}

export async function startLiveSubscriptions(): Promise<LiveSubscriptions> {
  const catalog = await startCatalog();
  const probe = await startProbe();
  const supergraphSdl = await composeWithProbe(catalog.url, probe.url);
  const redis = new Redis(testServices().REDIS_URL);
  const [row] = await catalog.database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Live', '/live') returning id`;
  const libraryId = row!.id;
  return {
    catalog,
    probe,
    supergraphSdl,
    redis,
    libraryId,
    listeners: async (channel) => ((await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1],
    async newJob(status = 'QUEUED') {
      const [job] = await catalog.database.sql<{ id: string }[]>`
        insert into import_jobs (library_id, mode, status) values (${libraryId}, 'FULL', ${status}) returning id`;
      return job!.id;
    },
    progressEvent: (jobId, status, processed) =>
      JSON.stringify({
        jobId,
        libraryId,
        status,
        total: 10,
        processed,
        failed: 0,
        skipped: 0,
        at: new Date().toISOString(),
      }),
    async close() {
      redis.disconnect();
      await probe.stop();
      await catalog.close();
    },
  };
}

/** `importProgress` with fields of both subgraphs. */
export type Progress = {
  importProgress: {
    status: string;
    processed: number;
    job: { id: string; probe: string; library: { name: string; probe: string } };
  };
};
export const progressQuery = `subscription Progress($id: ID!) {
  importProgress(jobId: $id) { status processed total job { id probe library { name probe } } }
}`;
