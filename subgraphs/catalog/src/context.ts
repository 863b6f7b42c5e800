import type { PubSubEngine } from 'graphql-subscriptions';
import type { Logger } from '@tonegraph/logger';
import type { Database } from './db/client.ts';
import type { Loaders } from './loaders.ts';
import type { PasswordCipher } from './store/listening-crypto.ts';
import type { EnrichmentPublisher, ScanPublisher } from '@tonegraph/queues';

/** How `Track.streamUrl` URLs are signed. */
export interface StreamUrlOptions {
  /** STREAM_SECRET, shared with the gateway. */
  readonly secret: string;
  /** Seconds a URL stays valid. */
  readonly ttlSeconds: number;
}

/** What every resolver of one request sees. */
export interface Context {
  readonly db: Database['db'];
  readonly loaders: Loaders;
  readonly publisher: ScanPublisher;
  readonly allowedRoots: readonly string[];
  readonly log: Logger;
  /** Redis pub/sub, for subscriptions. */
  readonly pubsub: PubSubEngine & {
    asyncIterableIterator<T>(triggers: string | string[]): AsyncIterableIterator<T>;
  };
  /** Prefix of the Redis channels (shared with ingest). */
  readonly redisPrefix: string;
  /** Queues tracks for ingest's enrichment stage (`enrichTracks`); unset: the mutation fails. */
  readonly enrichment?: EnrichmentPublisher | undefined;
  /** Where the gateway serves covers (`/covers` by default, relative to the gateway). */
  readonly coverBaseUrl: string;
  /** Signs `Track.streamUrl`; unset: that field fails with STREAM_URLS_DISABLED. */
  readonly streamUrls?: StreamUrlOptions | undefined;
  /** Encrypts the passwords `createUser` stores (SUBSONIC_PASSWORD_KEY). */
  readonly cipher: PasswordCipher;
}
