// The Accept policy behind "request errors are 200 for application/json":
// which media type a client prefers, as a pure function.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preferredMediaType } from '../src/http-conformance.ts';

test('the preferred media type is the highest q, the first of equals', () => {
  assert.equal(preferredMediaType('application/json'), 'application/json');
  assert.equal(
    preferredMediaType('application/graphql-response+json, application/json;q=0.9'),
    'application/graphql-response+json',
  );
  assert.equal(
    preferredMediaType('application/json;q=0.5, application/graphql-response+json;q=0.8'),
    'application/graphql-response+json',
  );
  assert.equal(
    preferredMediaType('multipart/mixed; deferSpec=20220824, application/json'),
    'multipart/mixed',
  );
  assert.equal(preferredMediaType('Application/JSON ; charset=utf-8'), 'application/json');
});

test('no Accept header, or an empty one, prefers nothing (Apollo Server keeps its 400)', () => {
  assert.equal(preferredMediaType(undefined), undefined);
  assert.equal(preferredMediaType(null), undefined);
  assert.equal(preferredMediaType(''), undefined);
});
