// Track.streamUrl's resolver: a relative /stream URL that verifies with the
// secret for the configured time, the GraphQL formats mapped to the stream
// route's, and clear errors without a secret or with a bad bitrate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GraphQLError } from 'graphql';
import { verifyStreamSignature } from '@tonegraph/streaming';
import { streamUrl } from '../src/resolvers/stream-url.ts';

const options = { secret: 'catalog-stream-secret-0123456789', ttlSeconds: 600 };
const id = '5d0c1a9e-3b1f-4c55-9a51-2b7c0f3e8d21';
const queryOf = (url: string) => Object.fromEntries(new URL(url, 'http://gateway').searchParams);

test('signs a relative URL that verifies until the TTL has passed', () => {
  const before = Date.now();
  const url = streamUrl(id, { format: 'OPUS', maxBitRate: 96 }, options);
  assert.match(url, new RegExp(`^/stream/${id}\\?format=opus&maxBitRate=96&expires=\\d+&sig=`));
  const query = queryOf(url);
  const expires = Number(query.expires) * 1000;
  assert.ok(expires >= before + 599_000 && expires <= Date.now() + 600_000, String(expires));
  assert.equal(verifyStreamSignature(options.secret, id, query), 'valid');
  assert.equal(verifyStreamSignature(options.secret, id, query, new Date(expires)), 'expired');
});

test('ORIGINAL (the default) is raw, and maxBitRate 0 is no cap', () => {
  assert.match(streamUrl(id, {}, options), /\?format=raw&expires=/);
  assert.match(streamUrl(id, { format: 'MP3', maxBitRate: 0 }, options), /\?format=mp3&expires=/);
});

test('without STREAM_SECRET the field fails with STREAM_URLS_DISABLED', () => {
  assert.throws(
    () => streamUrl(id, {}, undefined),
    (error: GraphQLError) => error.extensions.code === 'STREAM_URLS_DISABLED',
  );
});

test('a bitrate out of range is BAD_USER_INPUT', () => {
  for (const maxBitRate of [-1, 10_001]) {
    assert.throws(
      () => streamUrl(id, { maxBitRate }, options),
      (error: GraphQLError) => error.extensions.code === 'BAD_USER_INPUT',
    );
  }
});
