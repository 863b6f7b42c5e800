import neo4j, { type Driver } from 'neo4j-driver';

/** Options for {@link createDriver}. */
export interface DriverOptions {
  /** Neo4j user; without it the driver connects without authentication. */
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  /** Bolt connections in the pool; default 30. */
  readonly poolSize?: number;
  /** How long executeRead/executeWrite retry transient errors themselves; default 15 000 ms. */
  readonly transactionRetryMs?: number;
}

/** A neo4j-driver Driver for NEO4J_URL, with bounded pool and timeouts. */
export function createDriver(url: string, options: DriverOptions = {}): Driver {
  // No user: no authentication (the local stack runs with auth disabled).
  const auth =
    options.user !== undefined ? neo4j.auth.basic(options.user, options.password ?? '') : undefined;
  return neo4j.driver(url, auth, {
    maxConnectionPoolSize: options.poolSize ?? 30,
    connectionAcquisitionTimeout: 10_000,
    connectionTimeout: 5_000,
    maxTransactionRetryTime: options.transactionRetryMs ?? 15_000,
  });
}
