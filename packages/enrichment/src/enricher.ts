import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { createAcoustIdClient } from './acoustid/client.ts';
import { fingerprintFile } from './acoustid/fpcalc.ts';
import { createCoverArt } from './cover/cover-art.ts';
import { extractEmbeddedCover, storeEmbeddedCover } from './cover/embedded.ts';
import type { StoredCover } from './cover/store.ts';
import {
  CoverRejectedError,
  FingerprintError,
  HostUnavailableError,
  MalformedResponseError,
} from './errors.ts';
import { createResponseCache } from './http/cache.ts';
import { createRateLimiter } from './http/rate-limiter.ts';
import { createSharedRateLimiter } from './http/shared-rate-limiter.ts';
import {
  createHostClient,
  type HostClient,
  type HostClientOptions,
  type RetryOptions,
} from './http/host-client.ts';
import { createMusicBrainzClient } from './musicbrainz/client.ts';
import {
  createMatcher,
  type MatchInput,
  type MatchResult,
  type MatcherOptions,
} from './musicbrainz/match.ts';

/** Policies shared by every host unless a host overrides them. */
export interface HttpPolicyOptions {
  /** Time allowed for one attempt. Default 10 000 ms. */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  readonly breaker?: HostClientOptions['breaker'];
  readonly bulkhead?: HostClientOptions['bulkhead'];
}

/** Options of {@link createEnricher}. */
export interface EnricherOptions {
  readonly musicbrainz: HttpPolicyOptions & {
    /** Default `https://musicbrainz.org`. */
    readonly baseUrl?: string;
    /** A URL or e-mail address for the User-Agent, which MusicBrainz requires. */
    readonly contact: string;
    /** Default 1 (MusicBrainz's limit per client IP). */
    readonly ratePerSecond?: number;
    /** How long lookups and searches stay cached. Default 7 days. */
    readonly cacheTtlSeconds?: number;
  };
  readonly coverArt: HttpPolicyOptions & {
    /** Default `https://coverartarchive.org`. */
    readonly baseUrl?: string;
    /** Thumbnail width: 500 (default) or 1200. */
    readonly size?: 500 | 1200;
    /** Largest cover accepted. Default 5 MiB. */
    readonly maxBytes?: number;
    /** Default 5. */
    readonly ratePerSecond?: number;
  };
  /** AcoustID, for tracks whose tags cannot be searched; off when omitted. */
  readonly acoustid?: HttpPolicyOptions & {
    readonly apiKey: string;
    /** Default `https://api.acoustid.org`. */
    readonly baseUrl?: string;
    /** Default 3 (AcoustID's limit). */
    readonly ratePerSecond?: number;
    /** Fingerprints per lookup request (≤ 20). Default 10. */
    readonly batchSize?: number;
    /** Lowest AcoustID score used. Default 0.8. */
    readonly minScore?: number;
    /** Default `fpcalc`. */
    readonly fpcalcPath?: string;
  };
  readonly redis: Redis;
  /** Prefix of the response cache's keys (e.g. `tonegraph:`). */
  readonly keyPrefix: string;
  /** Folder covers are written to. */
  readonly coverDir: string;
  readonly matcher?: MatcherOptions;
  /** Per-host metrics are registered here. */
  readonly registry?: Registry;
  /** Read the embedded cover from `path` when the input has no picture. Default true. */
  readonly readEmbeddedCovers?: boolean;
  /**
   * Keep each host's rate across every process using the same Redis and
   * `keyPrefix` (the limits are per client IP, not per process). Default true;
   * false keeps a limiter per process.
   */
  readonly sharedRateLimit?: boolean;
  /** Shortest `retryAfterMs` of a deferred result. Default 1000 ms. */
  readonly minDeferMs?: number;
  /** Sent in the User-Agent. Default 0.1.0. */
  readonly version?: string;
}

/** A track to enrich: what its tags say, and its file for fingerprints and embedded covers. */
export interface EnrichInput extends MatchInput {
  /** The audio file; needed for AcoustID and for reading an embedded cover. */
  readonly path?: string;
  /** The embedded cover the caller already read from the tags. */
  readonly picture?: { readonly data: Uint8Array };
}

export type EnrichStatus = 'matched' | 'candidates' | 'not_found' | 'deferred';

export interface EnrichResult {
  readonly status: EnrichStatus;
  /** The applied match's score, or the best candidate's; 0 when nothing was found. */
  readonly score: number;
  readonly via?: 'mbid' | 'isrc' | 'search' | 'acoustid';
  readonly recording?: Extract<MatchResult, { status: 'matched' }>['recording'];
  readonly release?: Extract<MatchResult, { status: 'matched' }>['release'];
  readonly artists?: Extract<MatchResult, { status: 'matched' }>['artists'];
  readonly candidates?: Extract<MatchResult, { status: 'candidates' }>['candidates'];
  readonly cover?: { readonly path: string; readonly source: 'embedded' | 'coverartarchive' };
  /** Deferred only: re-queue the track after this long. */
  readonly retryAfterMs?: number;
  /** Deferred only: which host, and why. */
  readonly deferred?: { readonly host: string; readonly reason: string };
}

function hostFor(
  name: string,
  baseUrl: string,
  perSecond: number,
  userAgent: string,
  policy: HttpPolicyOptions,
  extra: Partial<HostClientOptions>,
  shared: { redis: Redis; keyPrefix: string } | undefined,
): HostClient {
  const rate = { perSecond };
  const local = createRateLimiter(rate);
  return createHostClient({
    name,
    baseUrl,
    userAgent,
    rate,
    limiter: shared
      ? createSharedRateLimiter(shared.redis, `${shared.keyPrefix}ratelimit:${name}`, rate, local)
      : local,
    ...(policy.timeoutMs !== undefined ? { timeoutMs: policy.timeoutMs } : {}),
    ...(policy.retry ? { retry: policy.retry } : {}),
    ...(policy.breaker ? { breaker: policy.breaker } : {}),
    ...(policy.bulkhead ? { bulkhead: policy.bulkhead } : {}),
    ...extra,
  });
}

/**
 * The enrichment of one track at a time: MusicBrainz match (MBID, ISRC,
 * search, or AcoustID for untagged files), then a cover (embedded first,
 * else the Cover Art Archive). Never blocks on a failing host: an open
 * breaker or exhausted retries come back as `deferred` with `retryAfterMs`.
 */
export function createEnricher(options: EnricherOptions) {
  const cache = createResponseCache(options.redis, options.keyPrefix);
  const userAgent = `Tonegraph/${options.version ?? '0.1.0'} ( ${options.musicbrainz.contact} )`;
  const common = { cache, ...(options.registry ? { registry: options.registry } : {}) };
  const shared =
    options.sharedRateLimit === false ? undefined : { redis: options.redis, keyPrefix: options.keyPrefix };
  const mbHost = hostFor(
    'musicbrainz',
    options.musicbrainz.baseUrl ?? 'https://musicbrainz.org',
    options.musicbrainz.ratePerSecond ?? 1,
    userAgent,
    options.musicbrainz,
    common,
    shared,
  );
  const caaHost = hostFor(
    'coverartarchive',
    options.coverArt.baseUrl ?? 'https://coverartarchive.org',
    options.coverArt.ratePerSecond ?? 5,
    userAgent,
    options.coverArt,
    { ...common, followRedirects: true },
    shared,
  );
  const acoustid = options.acoustid;
  const aidHost = acoustid
    ? hostFor(
        'acoustid',
        acoustid.baseUrl ?? 'https://api.acoustid.org',
        acoustid.ratePerSecond ?? 3,
        userAgent,
        acoustid,
        common,
        shared,
      )
    : undefined;
  const aidClient =
    acoustid && aidHost
      ? createAcoustIdClient(aidHost, {
          apiKey: acoustid.apiKey,
          cache,
          ...(acoustid.batchSize ? { batchSize: acoustid.batchSize } : {}),
        })
      : undefined;

  const matcher = createMatcher(
    createMusicBrainzClient(mbHost, options.musicbrainz.cacheTtlSeconds ?? 7 * 86_400),
    options.matcher,
  );
  const coverArt = createCoverArt(caaHost, {
    coverDir: options.coverDir,
    ...(options.coverArt.size ? { size: options.coverArt.size } : {}),
    ...(options.coverArt.maxBytes ? { maxBytes: options.coverArt.maxBytes } : {}),
  });
  const minDeferMs = options.minDeferMs ?? 1000;

  /** AcoustID for a file whose tags cannot be searched; undefined when it finds nothing usable. */
  async function byFingerprint(input: EnrichInput): Promise<MatchResult | undefined> {
    if (!aidClient || !acoustid || !input.path) return undefined;
    let results;
    try {
      results = await aidClient.lookup(
        await fingerprintFile(input.path, {
          ...(acoustid.fpcalcPath ? { binary: acoustid.fpcalcPath } : {}),
        }),
      );
    } catch (error) {
      if (error instanceof FingerprintError) return undefined;
      throw error;
    }
    const best = results.find(
      (r) => r.score >= (acoustid.minScore ?? 0.8) && (r.recordings?.length ?? 0) > 0,
    );
    const recordingId = best?.recordings?.[0]?.id;
    return best && recordingId ? matcher.byRecordingId(input, recordingId, best.score) : undefined;
  }

  async function cover(input: EnrichInput, releaseId: string | undefined): Promise<StoredCover | undefined> {
    const key = releaseId ? { key: releaseId } : {};
    try {
      if (input.picture) {
        const stored = await storeEmbeddedCover(input.picture, { coverDir: options.coverDir, ...key });
        if (stored) return stored;
      } else if (input.path && options.readEmbeddedCovers !== false) {
        const stored = await extractEmbeddedCover(input.path, { coverDir: options.coverDir, ...key });
        if (stored) return stored;
      }
    } catch {
      // An unreadable file or an odd embedded picture only means: try the archive.
    }
    if (!releaseId) return undefined;
    try {
      return await coverArt.front(releaseId);
    } catch (error) {
      if (error instanceof CoverRejectedError) return undefined;
      throw error;
    }
  }

  async function enrich(input: EnrichInput): Promise<EnrichResult> {
    const searchable = Boolean(input.title && input.artist);
    let match: MatchResult | undefined;
    if (!input.mbids?.recording && !searchable) match = await byFingerprint(input);
    match ??= await matcher.match(input);
    const stored = await cover(input, match.status === 'matched' ? match.release?.id : undefined);
    const coverField = stored ? { cover: { path: stored.path, source: stored.source } } : {};
    if (match.status === 'matched') {
      const { status, via, recording, release, artists, score } = match;
      return { status, via, score, recording, ...(release ? { release } : {}), artists, ...coverField };
    }
    if (match.status === 'candidates') {
      return { status: 'candidates', score: match.score, candidates: match.candidates, ...coverField };
    }
    return { status: 'not_found', score: 0, ...coverField };
  }

  let closing: Promise<void> | undefined;
  return {
    /** Enriches one track; `deferred` (never a throw) when a host is down or refusing. */
    async enrichTrack(input: EnrichInput): Promise<EnrichResult> {
      try {
        return await enrich(input);
      } catch (error) {
        if (error instanceof HostUnavailableError) {
          return {
            status: 'deferred',
            score: 0,
            retryAfterMs: Math.max(minDeferMs, error.retryAfterMs),
            deferred: { host: error.host, reason: error.reason },
          };
        }
        if (error instanceof MalformedResponseError) {
          return {
            status: 'deferred',
            score: 0,
            retryAfterMs: Math.max(minDeferMs, 60_000),
            deferred: { host: error.host, reason: 'malformed-response' },
          };
        }
        throw error;
      }
    },
    /** The state of each host's breaker, for health output. */
    breakers: () =>
      Object.fromEntries(
        [mbHost, caaHost, ...(aidHost ? [aidHost] : [])].map((h) => [h.name, h.breakerState()]),
      ),
    /** Closes every connection pool; the Redis client stays the caller's. Idempotent. */
    close() {
      closing ??= Promise.allSettled([mbHost.close(), caaHost.close(), aidHost?.close()]).then(() => {});
      return closing;
    },
  };
}

export type Enricher = ReturnType<typeof createEnricher>;
