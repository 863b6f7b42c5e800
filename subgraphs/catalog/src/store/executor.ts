import type { Db } from '../db/client.ts';

/** A transaction of the catalog's database, as `db.transaction(async (tx) => …)` passes it. */
export type CatalogTx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** The database or a transaction: functions taking one run in the caller's transaction when given one. */
export type Executor = Db | CatalogTx;
