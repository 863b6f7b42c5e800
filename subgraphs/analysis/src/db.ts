import { MongoClient, type MongoClientOptions } from 'mongodb';

/** Options for {@link connectMongo}. */
export interface MongoOptions {
  /** Connections in the pool; default 30. */
  readonly poolSize?: number;
  /** Emit `commandStarted` events (tests count commands with them); default false. */
  readonly monitorCommands?: boolean;
}

/**
 * A connected client. Every step has a deadline (server selection, connect,
 * waiting for a pooled connection, a silent socket), so a stalled server
 * fails requests instead of piling them up.
 */
export async function connectMongo(url: string, options: MongoOptions = {}): Promise<MongoClient> {
  const clientOptions: MongoClientOptions = {
    maxPoolSize: options.poolSize ?? 30,
    monitorCommands: options.monitorCommands ?? false,
    serverSelectionTimeoutMS: 10_000,
    connectTimeoutMS: 10_000,
    waitQueueTimeoutMS: 10_000,
    socketTimeoutMS: 30_000,
    appName: 'tonegraph-analysis',
  };
  const client = new MongoClient(url, clientOptions);
  await client.connect();
  return client;
}
