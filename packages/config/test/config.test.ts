import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { ConfigError, env, parseConfig, servicesSchema } from '@tonegraph/config';

const schema = z.object({
  PORT: env.port(4001),
  POOL_SIZE: env.int(30, 1, 200),
  DEBUG: env.bool(false),
  ROOTS: env.list().default([]),
  LOG_LEVEL: env.logLevel(),
});

test('applies defaults and treats empty values as unset', () => {
  const config = parseConfig('catalog', schema, { PORT: '', DEBUG: 'yes', ROOTS: '/music, /mnt/nas ,' });
  assert.deepEqual(config, {
    PORT: 4001,
    POOL_SIZE: 30,
    DEBUG: true,
    ROOTS: ['/music', '/mnt/nas'],
    LOG_LEVEL: 'info',
  });
  assert.ok(Object.isFrozen(config));
});

test('reports every bad value at once, by variable name', () => {
  try {
    parseConfig('catalog', schema, { PORT: '70000', POOL_SIZE: 'many', DEBUG: 'maybe', LOG_LEVEL: 'loud' });
    assert.fail('expected a ConfigError');
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((i) => i.key).sort(), ['DEBUG', 'LOG_LEVEL', 'POOL_SIZE', 'PORT']);
    assert.match(error.message, /^catalog: invalid configuration/);
    assert.match(error.message, /DEBUG: expected one of true, false/);
  }
});

test('service URLs must be present and of the right scheme', () => {
  assert.throws(
    () =>
      parseConfig('gateway', servicesSchema, {
        DATABASE_URL: 'mysql://localhost/x',
        MONGO_URL: 'mongodb://127.0.0.1:27017/',
        NEO4J_URL: 'not a url',
        REDIS_URL: 'redis://127.0.0.1:6379',
      }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.issues.map((i) => i.key).join() === 'DATABASE_URL,NEO4J_URL,AMQP_URL',
  );
});
