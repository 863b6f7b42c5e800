import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { ConfigError } from '@tonegraph/config';
import { parseGatewayConfig } from '../src/config.ts';

const KEYS = 'web:0123456789abcdef0123:read,ops:fedcba9876543210fedc:read+admin';

const issues = (env: Record<string, string>) => {
  try {
    parseGatewayConfig(env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map((i) => i.key);
  }
};

test('auth is off by default only in development on a loopback address', () => {
  const dev = parseGatewayConfig({});
  assert.equal(dev.auth, false);
  assert.equal(dev.introspection, true);
  assert.equal(dev.landingPage, true);
  // Bound to every interface, or in production: on, and a key source is required.
  assert.deepEqual(issues({ HOST: '0.0.0.0' }), ['GATEWAY_AUTH']);
  assert.deepEqual(issues({ TONEGRAPH_ENV: 'production' }), ['GATEWAY_AUTH']);
  const prod = parseGatewayConfig({ TONEGRAPH_ENV: 'production', GATEWAY_API_KEYS: KEYS });
  assert.equal(prod.auth, true);
  assert.equal(prod.introspection, false);
  assert.equal(prod.landingPage, false);
  // Off on purpose, and on on purpose.
  assert.equal(parseGatewayConfig({ TONEGRAPH_ENV: 'production', GATEWAY_AUTH: 'off' }).auth, false);
  assert.equal(parseGatewayConfig({ GATEWAY_AUTH: 'on', GATEWAY_JWT_SECRET: 'x'.repeat(32) }).auth, true);
  assert.equal(
    parseGatewayConfig({ TONEGRAPH_ENV: 'production', GATEWAY_API_KEYS: KEYS, GATEWAY_INTROSPECTION: 'on' })
      .introspection,
    true,
  );
});

test('every bad security value is reported at once', () => {
  assert.deepEqual(
    issues({
      GATEWAY_API_KEYS: 'web:short:read,ops:fedcba9876543210fedc:write',
      GATEWAY_JWT_SECRET: 'too-short',
      SUBGRAPH_SECRET: 'short',
      GATEWAY_AUTH: 'maybe',
    }).sort(),
    ['GATEWAY_API_KEYS', 'GATEWAY_AUTH', 'GATEWAY_JWT_SECRET', 'SUBGRAPH_SECRET'],
  );
});

test('stream settings: a short STREAM_SECRET and a transcode limit below 1 are refused; the limit defaults to the cores', () => {
  assert.equal(parseGatewayConfig({}).STREAM_MAX_TRANSCODES, availableParallelism());
  assert.equal(parseGatewayConfig({}).STREAM_SECRET, undefined);
  assert.equal(parseGatewayConfig({ STREAM_MAX_TRANSCODES: '3' }).STREAM_MAX_TRANSCODES, 3);
  assert.deepEqual(issues({ STREAM_SECRET: 'short', STREAM_MAX_TRANSCODES: '0' }).sort(), [
    'STREAM_MAX_TRANSCODES',
    'STREAM_SECRET',
  ]);
});
