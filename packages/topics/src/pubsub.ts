// The subgraphs' Redis pub/sub for GraphQL subscriptions: graphql-redis-subscriptions'
// RedisPubSub, made safe to close. Its `unsubscribe` sends UNSUBSCRIBE and PUNSUBSCRIBE
// without waiting for either; a subscription that ends after `close()` has sent QUIT (the
// HTTP server's drain ends client sockets, and their iterators return a moment later) then
// writes to a closed connection, ioredis rejects those commands with "Connection is closed."
// and, nobody holding their promises, the rejection ends the process with exit code 1.
import { RedisPubSub } from 'graphql-redis-subscriptions';

export class ClosablePubSub extends RedisPubSub {
  #closing = false;

  /** Once closing, subscriptions that end need no UNSUBSCRIBE: the connection is going. */
  override unsubscribe(subId: number): void {
    if (this.#closing) return;
    super.unsubscribe(subId);
  }

  override close(): Promise<'OK'[]> {
    this.#closing = true;
    return super.close();
  }
}

/** A {@link ClosablePubSub} on `url` (two connections: one in subscriber mode cannot publish). */
export const createPubSub = (url: string): ClosablePubSub => new ClosablePubSub({ connection: url });
