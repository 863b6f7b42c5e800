// GraphQL over HTTP conformance: graphql-http's server audits against the
// gateway, with authentication on (the audit's requests carry an API key).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { auditServer } from 'graphql-http';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { supergraphFile } from '@tonegraph/schema-tools';
import { parseApiKeys } from '../src/auth/index.ts';
import { startGateway, type RunningGateway } from './support.ts';

/**
 * Every audit passes (graphql-http 1.23: 61 of 61; Apollo Server alone passes 54 of 60): GET queries
 * pass CSRF prevention (they cannot have side effects) and request errors are answered with 200 to a
 * client that asks for application/json (see README: CSRF, status codes).
 */
const MEASURED_OK = 61;
const KEY = 'audit-key-0123456789abcdef';

let catalog: Harness;
let gw: RunningGateway;

before(async () => {
  catalog = await startCatalog();
  gw = await startGateway(await readFile(supergraphFile, 'utf8'), {
    subgraphUrls: { catalog: catalog.url },
    auth: { apiKeys: parseApiKeys(`audit:${KEY}:read`) },
    // Several audits query __type; introspection is on as in development.
    introspection: true,
  });
});

after(async () => {
  await gw?.stop();
  await catalog?.close();
});

test('graphql-http server audits', async (t) => {
  const fetchFn = (input: string | URL | Request, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set('x-api-key', KEY);
    return fetch(input, { ...init, headers });
  };
  const results = await auditServer({ url: gw.url, fetchFn });
  const ok = results.filter((r) => r.status === 'ok');
  const failed = results.filter((r) => r.status !== 'ok');
  for (const r of failed)
    t.diagnostic(`${r.status}: ${r.id} ${r.name}${'reason' in r ? ` — ${r.reason}` : ''}`);
  t.diagnostic(`graphql-http audits: ${ok.length} of ${results.length} pass`);
  assert.ok(
    ok.length >= MEASURED_OK,
    `${ok.length} of ${results.length} audits pass; expected at least ${MEASURED_OK}`,
  );
  assert.deepEqual(
    failed.map((r) => `${r.id} ${r.name}`),
    [],
    'no audit fails, recommendations included',
  );
  // No requirement (as opposed to a recommendation) may fail.
  assert.deepEqual(
    failed.filter((r) => r.status === 'error').map((r) => r.name),
    [],
  );
});
