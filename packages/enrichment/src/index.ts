export { createEnricher } from './enricher.ts';
export type {
  Enricher,
  EnricherOptions,
  EnrichInput,
  EnrichResult,
  EnrichStatus,
  HttpPolicyOptions,
} from './enricher.ts';
export { enricherOptionsFromEnv, enrichmentEnvSchema, enrichmentEnvShape } from './config.ts';
export type { EnrichmentEnv } from './config.ts';
export {
  CoverRejectedError,
  FingerprintError,
  HostUnavailableError,
  HttpStatusError,
  MalformedResponseError,
  TransientHttpError,
} from './errors.ts';
export { createHostClient } from './http/host-client.ts';
export type { BreakerStateName, HostClient, HostClientOptions, RetryOptions } from './http/host-client.ts';
export { createRateLimiter } from './http/rate-limiter.ts';
export { createSharedRateLimiter } from './http/shared-rate-limiter.ts';
export type { RateLimiter, RateLimitOptions } from './http/rate-limiter.ts';
export { backoffDelay, parseRetryAfter } from './http/retry-after.ts';
export { createResponseCache } from './http/cache.ts';
export type { ResponseCache } from './http/cache.ts';
export { createMusicBrainzClient, recordingSearchQuery } from './musicbrainz/client.ts';
export type { MusicBrainzClient, RecordingQuery } from './musicbrainz/client.ts';
export { createMatcher } from './musicbrainz/match.ts';
export type { Candidate, MatchInput, MatchResult, Matcher, MatcherOptions } from './musicbrainz/match.ts';
export { scoreMatch, SCORE_WEIGHTS } from './musicbrainz/score.ts';
export { similarity } from './musicbrainz/similarity.ts';
export type * from './musicbrainz/types.ts';
export { coverFileName, createCoverArt } from './cover/cover-art.ts';
export { extractEmbeddedCover, storeEmbeddedCover } from './cover/embedded.ts';
export type { StoredCover } from './cover/store.ts';
export { createAcoustIdClient } from './acoustid/client.ts';
export type { AcoustIdClient, AcoustIdResult } from './acoustid/client.ts';
export { fingerprintFile, parseFpcalcOutput } from './acoustid/fpcalc.ts';
export type { Fingerprint } from './acoustid/fpcalc.ts';
