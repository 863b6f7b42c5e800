import { env } from '@tonegraph/config';
import { z } from 'zod';
import type { EnricherOptions } from './enricher.ts';

/**
 * The environment variables of enrichment, for the service that runs it to
 * merge into its own schema (`yourSchema.extend(enrichmentEnvShape)`).
 */
export const enrichmentEnvShape = {
  /** Default https://musicbrainz.org. */
  MUSICBRAINZ_URL: env.url(['http', 'https']).default('https://musicbrainz.org'),
  /** Contact URL or e-mail for the User-Agent MusicBrainz requires. */
  MUSICBRAINZ_CONTACT: z.string().min(3).optional(),
  MUSICBRAINZ_RATE_PER_SECOND: z.coerce.number().positive().max(50).default(1),
  COVERART_URL: env.url(['http', 'https']).default('https://coverartarchive.org'),
  COVERART_SIZE: z
    .enum(['500', '1200'])
    .default('500')
    .transform((v) => (v === '500' ? 500 : 1200)),
  COVERART_MAX_BYTES: env.int(5 * 1024 * 1024, 1024),
  COVER_DIR: z.string().min(1).default('.covers'),
  ACOUSTID_URL: env.url(['http', 'https']).default('https://api.acoustid.org'),
  /** AcoustID is used only when a key is set. */
  ACOUSTID_API_KEY: z.string().min(1).optional(),
  ACOUSTID_RATE_PER_SECOND: z.coerce.number().positive().max(50).default(3),
  FPCALC_PATH: z.string().min(1).default('fpcalc'),
  ENRICHMENT_TIMEOUT_MS: env.millis(10_000),
  ENRICHMENT_MAX_ATTEMPTS: env.int(4, 1, 20),
  ENRICHMENT_BREAKER_FAILURES: env.int(5, 1, 1000),
  ENRICHMENT_BREAKER_HALF_OPEN_MS: env.millis(30_000),
  ENRICHMENT_CACHE_TTL_SECONDS: env.int(7 * 86_400, 0),
  ENRICHMENT_MATCH_THRESHOLD: z.coerce.number().min(0).max(1).default(0.85),
};

export const enrichmentEnvSchema = z.object(enrichmentEnvShape);
export type EnrichmentEnv = z.output<typeof enrichmentEnvSchema>;

/** {@link createEnricher}'s options from parsed variables plus what only the service has. */
export function enricherOptionsFromEnv(
  e: EnrichmentEnv,
  deps: Pick<EnricherOptions, 'redis' | 'keyPrefix' | 'registry'>,
): EnricherOptions {
  if (!e.MUSICBRAINZ_CONTACT) {
    throw new Error('MUSICBRAINZ_CONTACT: MusicBrainz requires a contact URL or e-mail in the User-Agent');
  }
  const policy = {
    timeoutMs: e.ENRICHMENT_TIMEOUT_MS,
    retry: { maxAttempts: e.ENRICHMENT_MAX_ATTEMPTS },
    breaker: {
      consecutiveFailures: e.ENRICHMENT_BREAKER_FAILURES,
      halfOpenAfterMs: e.ENRICHMENT_BREAKER_HALF_OPEN_MS,
    },
  };
  return {
    ...deps,
    coverDir: e.COVER_DIR,
    musicbrainz: {
      ...policy,
      baseUrl: e.MUSICBRAINZ_URL,
      contact: e.MUSICBRAINZ_CONTACT,
      ratePerSecond: e.MUSICBRAINZ_RATE_PER_SECOND,
      cacheTtlSeconds: e.ENRICHMENT_CACHE_TTL_SECONDS,
    },
    coverArt: { ...policy, baseUrl: e.COVERART_URL, size: e.COVERART_SIZE, maxBytes: e.COVERART_MAX_BYTES },
    ...(e.ACOUSTID_API_KEY
      ? {
          acoustid: {
            ...policy,
            apiKey: e.ACOUSTID_API_KEY,
            baseUrl: e.ACOUSTID_URL,
            ratePerSecond: e.ACOUSTID_RATE_PER_SECOND,
            fpcalcPath: e.FPCALC_PATH,
          },
        }
      : {}),
    matcher: { threshold: e.ENRICHMENT_MATCH_THRESHOLD },
  };
}
