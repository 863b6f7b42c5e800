import { z } from 'zod';
import { env, loadConfig } from '@tonegraph/config';

/** `npm start`'s own settings (tools/stack/src/start-all.ts); every service still reads its own config. */
const schema = z.object({
  /** Failures of one service within START_FAILURE_WINDOW_MS after which `npm start` gives up. */
  START_MAX_FAILURES: env.int(5),
  /** The window those failures are counted in. */
  START_FAILURE_WINDOW_MS: env.millis(60_000),
  /** Wait before the first restart of a service; doubled for each further failure in the window. */
  START_RESTART_DELAY_MS: env.millis(500),
  /** The longest wait before a restart. */
  START_RESTART_MAX_DELAY_MS: env.millis(15_000),
  /** Time a service has to exit after SIGTERM before it is killed. */
  START_STOP_GRACE_MS: env.millis(20_000),
  /**
   * The gateway's port; the subgraphs listen on the next ones (catalog +1,
   * analysis +2, library-graph +3) and ingest's metrics on +10 unless
   * METRICS_PORT is set. Another value runs a second platform beside the first.
   */
  START_PORT_BASE: env.port(4000),
  /** Ingest's metrics and health port, when set. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  /** Shared by the gateway and the subgraphs; one per run when unset. */
  SUBGRAPH_SECRET: z.string().optional(),
  /** Signs stream URLs (catalog) and verifies them (gateway); one per run when unset. */
  STREAM_SECRET: z.string().optional(),
});

export type StartConfig = z.output<typeof schema>;

export const loadStartConfig = (): StartConfig => loadConfig('start', schema);
