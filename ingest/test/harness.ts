import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { createDb, type Database } from '@tonegraph/catalog/db';
import { migrateCatalog } from '@tonegraph/catalog/store';
import { createLogger } from '@tonegraph/logger';
import { createTestDatabase, isolation, testServices, type TestDatabase } from '@tonegraph/testing';
import { allQueues, queueNames, type QueueNames } from '@tonegraph/queues';
import { startIngest, type Ingest, type IngestDeps } from '../src/service.ts';

export interface IngestHarness {
  readonly database: Database;
  readonly names: QueueNames;
  readonly redisPrefix: string;
  /** Inserts a library row for `root` and returns its id. */
  addLibrary(root: string): Promise<string>;
  /** Creates a job, queues its scan request, and waits until the job has ended. */
  scan(libraryId: string, mode?: 'FULL' | 'INCREMENTAL'): Promise<JobRow>;
  close(): Promise<void>;
}

export interface JobRow {
  id: string;
  status: string;
  total: number;
  processed: number;
  failed: number;
  skipped: number;
  analysis_total: number;
  analysis_done: number;
  analysis_failed: number;
}

/** A fresh catalog database and isolated queues, with an ingest pipeline running on them. */
export async function startHarness(
  options: {
    sequential?: boolean;
    analysis?: IngestDeps['analysis'];
    graph?: IngestDeps['graph'];
    enrichment?: IngestDeps['enrichment'];
  } = {},
): Promise<IngestHarness> {
  const services = testServices();
  const testDb: TestDatabase = await createTestDatabase(services.DATABASE_URL);
  const database = createDb(testDb.url, { poolSize: 20 });
  await migrateCatalog(database);
  const iso = isolation();
  const names = queueNames(`tonegraph.${iso.tag}`, iso.queue('scan-requests'));
  const redis = new Redis(services.REDIS_URL);
  const ingest: Ingest = await startIngest({
    db: database.db,
    redis,
    amqpUrl: services.AMQP_URL,
    names,
    concurrency: 32,
    sequential: options.sequential ?? false,
    ...(options.analysis ? { analysis: options.analysis } : {}),
    ...(options.graph ? { graph: options.graph } : {}),
    ...(options.enrichment ? { enrichment: options.enrichment } : {}),
    maxRetries: 1,
    retryDelayMs: 200,
    redisPrefix: iso.redisPrefix,
    log: createLogger({ service: 'ingest-test', level: 'silent' }),
  });
  const conn = await amqp.connect(services.AMQP_URL);
  const channel = await conn.createConfirmChannel();

  return {
    database,
    names,
    redisPrefix: iso.redisPrefix,
    async addLibrary(root) {
      const [row] = await database.sql<
        { id: string }[]
      >`insert into libraries (name, path) values ('Test', ${root}) returning id`;
      return row!.id;
    },
    async scan(libraryId, mode = 'INCREMENTAL') {
      const [job] = await database.sql<{ id: string }[]>`
        insert into import_jobs (library_id, mode) values (${libraryId}, ${mode}) returning id`;
      const request = { jobId: job!.id, libraryId, mode, requestedAt: new Date().toISOString() };
      channel.sendToQueue(names.scans, Buffer.from(JSON.stringify(request)), { persistent: true });
      await channel.waitForConfirms();
      for (let i = 0; i < 600; i++) {
        const [row] = await database.sql<JobRow[]>`
          select id, status, total, processed, failed, skipped, analysis_total, analysis_done, analysis_failed
          from import_jobs where id = ${job!.id}`;
        if (row && row.status !== 'QUEUED' && row.status !== 'RUNNING') return row;
        await sleep(100);
      }
      throw new Error(`job ${job!.id} did not end within 60 s`);
    },
    async close() {
      await ingest.stop(5000);
      for (const q of allQueues(names)) await channel.deleteQueue(q).catch(() => undefined);
      await conn.close();
      redis.disconnect();
      await database.close();
      await testDb.drop();
    },
  };
}

/** The catalog as plain data, ordered, without generated ids and times: equal for equal imports. */
export async function canonicalCatalog(database: Database): Promise<unknown[]> {
  const rows = await database.sql`
    select t.file_path, t.title, t.track_number, t.disc_number, t.year, t.genres, t.format, t.lossless,
           t.channels, t.sample_rate, t.content_hash, al.title as album, aa.name as album_artist,
           (select json_agg(json_build_array(a.name, ta.role) order by ta.position)
              from track_artists ta join artists a on a.id = ta.artist_id where ta.track_id = t.id) as credits
    from tracks t left join albums al on al.id = t.album_id left join artists aa on aa.id = t.album_artist_id
    order by t.file_path`;
  return [...rows];
}
