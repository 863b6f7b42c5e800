import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { env, loadConfig, servicesSchema } from '@tonegraph/config';
import { enrichmentEnvShape } from '@tonegraph/enrichment';

const cores = availableParallelism();

const schema = servicesSchema.pick({ DATABASE_URL: true, AMQP_URL: true, REDIS_URL: true }).extend({
  /** Where analyses are stored (the analysis subgraph's database); without it, no analysis. */
  MONGO_URL: servicesSchema.shape.MONGO_URL.optional(),
  MONGO_DB: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'expected a MongoDB database name')
    .default('tonegraph'),
  /** The library graph (Neo4j); without it, the graph stage is off. */
  NEO4J_URL: servicesSchema.shape.NEO4J_URL.optional(),
  NEO4J_USER: z.string().optional(),
  NEO4J_PASSWORD: z.string().optional(),
  NEO4J_DATABASE: z.string().optional(),
  /** `auto`: keep the library graph when NEO4J_URL is set; `off`: don't. */
  INGEST_GRAPH: z.enum(['auto', 'off']).default('auto'),
  /** Graph sync jobs (one per committed batch) in flight at once. */
  GRAPH_CONCURRENCY: env.int(4, 1, 64),
  /** `auto`: analyse audio when MONGO_URL is set; `off`: tags and formats only. */
  INGEST_ANALYSIS: z.enum(['auto', 'off']).default('auto'),
  /** Decoding and analysis threads (the worker pool). */
  ANALYSIS_THREADS: env.int(cores, 1, 256),
  /**
   * Analysis jobs in flight at once. Linking a file to an analysis its content
   * already has needs no thread and takes milliseconds, so many are in flight;
   * files to analyse wait for a thread in the pool meanwhile.
   */
  ANALYSIS_CONCURRENCY: env.int(Math.max(64, cores * 16), 1, 1024),
  /** Deadline of one file's analysis; its decoder is killed when it passes. */
  ANALYSIS_TIMEOUT_MS: env.millis(120_000),
  /** Larger files are not analysed (an ImportError says why). */
  ANALYSIS_MAX_FILE_MB: env.int(2048, 1, 1_000_000),
  /** Longer audio is not analysed. */
  ANALYSIS_MAX_DURATION_S: env.int(4 * 3600, 1, 100_000),
  /** V8 heap limit of each analysis thread; a thread that exceeds it fails its file, not the process. */
  ANALYSIS_WORKER_MEMORY_MB: env.int(256, 32, 16_384),
  /** `auto`: enrich tracks from MusicBrainz when MUSICBRAINZ_CONTACT is set; `off`: don't. */
  INGEST_ENRICHMENT: z.enum(['auto', 'off']).default('auto'),
  /** Enrichment jobs in flight at once; the per-host rate limits pace the calls. */
  ENRICHMENT_CONCURRENCY: env.int(8, 1, 256),
  ...enrichmentEnvShape,
  /** Queue the catalog publishes scan requests on. */
  SCAN_QUEUE: z.string().default('tonegraph.scan-requests'),
  /** Prefix of the ingest's own queues (`<prefix>.files`, `.files.retry`, `.files.dead`). */
  QUEUE_PREFIX: z.string().default('tonegraph'),
  /** File jobs in flight at once (the consumer prefetch): the pipeline's backpressure. */
  INGEST_CONCURRENCY: env.int(128, 1, 2000),
  /** One file and one step at a time: the baseline, and the rollback switch. */
  INGEST_SEQUENTIAL: env.bool(false),
  /** Attempts of a file after a transient failure before it is dead-lettered. */
  INGEST_MAX_RETRIES: env.int(5, 0, 100),
  /** Delay before a retried file is tried again. */
  INGEST_RETRY_DELAY_MS: env.millis(5000),
  /**
   * How libraries are kept current between scans: `auto` watches file-system
   * events (polling where there are none), `polling` always rescans
   * periodically, `off` leaves it to `scanLibrary`.
   */
  INGEST_WATCH_MODE: z.enum(['auto', 'polling', 'off']).default('auto'),
  /** Quiet time after the last file-system event before its batch is scanned. */
  INGEST_WATCH_DEBOUNCE_MS: env.millis(2000),
  /** Interval of the periodic rescan of polled libraries. */
  INGEST_POLL_INTERVAL_MS: env.millis(300_000),
  /** Redis key and channel prefix for progress events. */
  REDIS_PREFIX: z.string().default('tonegraph:'),
  /**
   * Change notices to the gateways (their response caches): at most one per
   * interval, the first at once. Cached answers may lag a commit by this much.
   */
  CHANGE_NOTICE_INTERVAL_MS: env.millis(500),
  DB_POOL_SIZE: env.int(30, 1, 500),
  /** Port of /metrics (Prometheus) and /healthz. */
  METRICS_PORT: env.port(4010),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: env.logLevel(),
});

export type IngestConfig = z.output<typeof schema>;

export const loadIngestConfig = (): IngestConfig => loadConfig('ingest', schema);
