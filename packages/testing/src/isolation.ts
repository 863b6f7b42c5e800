import { randomBytes } from 'node:crypto';

/** A short random tag, safe in database, queue, channel and label names. */
export function runTag(): string {
  return `t${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Names that keep one test run apart from every other run on the same servers. */
export interface Isolation {
  readonly tag: string;
  /** A PostgreSQL database or schema name. */
  readonly pgName: string;
  /** A MongoDB database name. */
  readonly mongoDb: string;
  /** A value to stamp on every Neo4j node the run creates (e.g. a `run` property). */
  readonly neo4jTag: string;
  /** A Redis key and channel prefix, ending in `:`. */
  readonly redisPrefix: string;
  /** A RabbitMQ queue or exchange name for `purpose`. */
  queue(purpose: string): string;
}

export function isolation(tag: string = runTag()): Isolation {
  return {
    tag,
    pgName: `tonegraph_${tag}`,
    mongoDb: `tonegraph_${tag}`,
    neo4jTag: tag,
    redisPrefix: `tonegraph:${tag}:`,
    queue: (purpose) => `tonegraph.${tag}.${purpose}`,
  };
}
