import type { PubSubEngine } from 'graphql-subscriptions';
import type { Logger } from '@tonegraph/logger';
import type { Loaders } from './loaders.ts';
import type { AnalysisStore } from './store.ts';

/** What every resolver of one request sees. */
export interface Context {
  readonly store: AnalysisStore;
  readonly loaders: Loaders;
  readonly log: Logger;
  /** Redis pub/sub, for subscriptions. */
  readonly pubsub: PubSubEngine & {
    asyncIterableIterator<T>(triggers: string | string[]): AsyncIterableIterator<T>;
  };
  /** Prefix of the Redis channels (shared with ingest). */
  readonly redisPrefix: string;
}
