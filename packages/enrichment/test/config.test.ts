import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseConfig } from '@tonegraph/config';
import type { Redis } from 'ioredis';
import { enricherOptionsFromEnv, enrichmentEnvSchema } from '../src/index.ts';

describe('enrichment configuration', () => {
  const deps = { redis: {} as Redis, keyPrefix: 'tonegraph:' };

  test('defaults point at the real services with their published limits', () => {
    const env = parseConfig('test', enrichmentEnvSchema, { MUSICBRAINZ_CONTACT: 'ops@example.org' });
    const options = enricherOptionsFromEnv(env, deps);
    assert.equal(options.musicbrainz.baseUrl, 'https://musicbrainz.org');
    assert.equal(options.musicbrainz.ratePerSecond, 1);
    assert.equal(options.coverArt.size, 500);
    assert.equal(options.acoustid, undefined, 'AcoustID is off without a key');
    assert.equal(options.matcher?.threshold, 0.85);
  });

  test('an API key turns AcoustID on at 3/s; fakes can stand in for every base URL', () => {
    const env = parseConfig('test', enrichmentEnvSchema, {
      MUSICBRAINZ_CONTACT: 'ops@example.org',
      MUSICBRAINZ_URL: 'http://127.0.0.1:1234',
      COVERART_SIZE: '1200',
      ACOUSTID_API_KEY: 'key',
    });
    const options = enricherOptionsFromEnv(env, deps);
    assert.equal(options.musicbrainz.baseUrl, 'http://127.0.0.1:1234');
    assert.equal(options.coverArt.size, 1200);
    assert.equal(options.acoustid?.ratePerSecond, 3);
  });

  test('every bad value is reported at once; a missing contact is refused', () => {
    assert.throws(
      () =>
        parseConfig('test', enrichmentEnvSchema, {
          MUSICBRAINZ_URL: 'ftp://x',
          COVERART_SIZE: '800',
          ENRICHMENT_MATCH_THRESHOLD: '2',
        }),
      (e: unknown) => e instanceof ConfigError && e.issues.length === 3,
    );
    const env = parseConfig('test', enrichmentEnvSchema, {});
    assert.throws(() => enricherOptionsFromEnv(env, deps), /MUSICBRAINZ_CONTACT/);
  });
});
