// The library graph's constraints and indexes, owned by this package: the
// library-graph subgraph creates them at start-up (ensureGraphSchema), and
// ingest, which writes the graph, waits until they are there
// (waitForGraphSchema) instead of creating them too. Creation stays safe from
// several processes at once (two subgraph replicas on an empty Neo4j): Neo4j
// refuses a `CREATE … IF NOT EXISTS` that races an equivalent one in another
// transaction, so those refusals are retried — the retry finds the rule and
// does nothing — and the result is verified by name.
import { setTimeout as sleep } from 'node:timers/promises';
import neo4j, { type Driver } from 'neo4j-driver';
import type { Logger } from '@tonegraph/logger';
import { isTransientError, withRetry, type RetryOptions } from './retry.ts';

/** One constraint or index of the graph, by the name Neo4j lists it under. */
export interface SchemaRule {
  readonly name: string;
  readonly kind: 'constraint' | 'index';
  readonly create: string;
}

/** Uniqueness constraints (which also index the ids) and the indexes similarity uses. */
export const graphSchema: readonly SchemaRule[] = [
  constraint('track_id', 'Track', 'id'),
  constraint('artist_id', 'Artist', 'id'),
  constraint('album_id', 'Album', 'id'),
  constraint('library_id', 'Library', 'id'),
  constraint('genre_key', 'Genre', 'key'),
  // Tempo candidates: equality on the library, range on bpm.
  index('track_library_bpm', 'Track', 'n.libraryId, n.bpm'),
  index('track_sim_stale', 'Track', 'n.simStale'),
];

function constraint(name: string, label: string, key: string): SchemaRule {
  const create = `CREATE CONSTRAINT ${name} IF NOT EXISTS FOR (n:${label}) REQUIRE n.${key} IS UNIQUE`;
  return { name, kind: 'constraint', create };
}

function index(name: string, label: string, properties: string): SchemaRule {
  return {
    name,
    kind: 'index',
    create: `CREATE INDEX ${name} IF NOT EXISTS FOR (n:${label}) ON (${properties})`,
  };
}

/** What Neo4j answers when another transaction created the same rule (or one of its name) first. */
const concurrentCreationCodes = new Set(
  [
    'EquivalentSchemaRuleAlreadyExists',
    'ConstraintAlreadyExists',
    'IndexAlreadyExists',
    'ConstraintWithNameAlreadyExists',
    'IndexWithNameAlreadyExists',
    'IndexOrConstraintAlreadyExists',
  ].map((code) => `Neo.ClientError.Schema.${code}`),
);

/** Whether `error` is Neo4j refusing a schema rule another process created at the same moment. */
export function isConcurrentSchemaError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && concurrentCreationCodes.has(code);
}

/** A schema rule missing or unusable after creation; not retried. */
export class GraphSchemaError extends Error {
  override readonly name = 'GraphSchemaError';
}

/** Options for {@link ensureGraphSchema} and {@link waitForGraphSchema}. */
export interface GraphSchemaOptions {
  /** Neo4j database; default: the server's default. */
  readonly database?: string | undefined;
  readonly log?: Pick<Logger, 'info' | 'warn'>;
  /** Back-off for concurrent-creation refusals and Neo4j restarts; default: {@link withRetry}'s. */
  readonly retry?: RetryOptions;
}

/** The names in {@link graphSchema} that Neo4j does not list, or lists as not (yet) usable. */
export async function missingGraphSchema(driver: Driver, database?: string): Promise<string[]> {
  const session = driver.session({
    defaultAccessMode: neo4j.session.READ,
    ...(database ? { database } : {}),
  });
  try {
    const constraints = await session.run('SHOW CONSTRAINTS YIELD name RETURN collect(name) AS names');
    const indexes = await session.run(
      "SHOW INDEXES YIELD name, state WHERE state = 'ONLINE' RETURN collect(name) AS names",
    );
    const present = new Set([
      ...(constraints.records[0]?.get('names') as string[]),
      ...(indexes.records[0]?.get('names') as string[]),
    ]);
    return graphSchema.filter((rule) => !present.has(rule.name)).map((rule) => rule.name);
  } finally {
    await session.close();
  }
}

/**
 * Creates every constraint and index of {@link graphSchema} that does not
 * exist; idempotent, and safe while another process does the same. Resolves
 * once all of them are listed and online.
 */
export async function ensureGraphSchema(driver: Driver, options: GraphSchemaOptions = {}): Promise<void> {
  const { database, log, retry } = options;
  const write = async (statement: string) => {
    const session = driver.session({
      defaultAccessMode: neo4j.session.WRITE,
      ...(database ? { database } : {}),
    });
    try {
      await session.run(statement);
    } finally {
      await session.close();
    }
  };
  for (const rule of graphSchema) {
    await withRetry(() => write(rule.create), {
      ...retry,
      isRetryable: (error) => isConcurrentSchemaError(error) || isTransientError(error),
      onRetry: (error, attempt, delayMs) => {
        const code = (error as { code?: unknown }).code;
        log?.info(
          { rule: rule.name, code, attempt, delayMs },
          'graph schema: changed concurrently by another process, retrying',
        );
        retry?.onRetry?.(error, attempt, delayMs);
      },
    });
  }
  // Constraint-backed and range indexes on an empty graph are online at once;
  // on a populated one they are populated in the background.
  await withRetry(() => write('CALL db.awaitIndexes(300)'), retry);
  const missing = await withRetry(() => missingGraphSchema(driver, database), retry);
  if (missing.length > 0)
    throw new GraphSchemaError(`the graph's ${missing.join(', ')} did not come online after creation`);
}

/** Options for {@link waitForGraphSchema}. */
export interface WaitForGraphSchemaOptions extends GraphSchemaOptions {
  /** Pause between two looks; default 500 ms. */
  readonly pollMs?: number;
  /** How often the waiting is logged again; default 30 000 ms. */
  readonly logEveryMs?: number;
}

/**
 * Resolves once every rule of {@link graphSchema} is online, looking again
 * while it is not (or while Neo4j is unreachable) and logging what it waits
 * for. For processes that write the graph but do not own its schema.
 */
export async function waitForGraphSchema(
  driver: Driver,
  options: WaitForGraphSchemaOptions = {},
): Promise<void> {
  const { database, log, pollMs = 500, logEveryMs = 30_000 } = options;
  let loggedAt: number | undefined;
  for (;;) {
    let missing: string[];
    try {
      missing = await missingGraphSchema(driver, database);
    } catch (error) {
      if (!isTransientError(error)) throw error;
      missing = ['(Neo4j unreachable)'];
    }
    if (missing.length === 0) {
      if (loggedAt !== undefined) log?.info('graph schema: every constraint and index is there');
      return;
    }
    if (loggedAt === undefined || Date.now() - loggedAt >= logEveryMs) {
      log?.info(
        { missing },
        "graph schema: waiting for the library graph's constraints and indexes, which the library-graph subgraph creates",
      );
      loggedAt = Date.now();
    }
    await sleep(pollMs);
  }
}
