// Authentication and scopes on every transport: API keys, HS256 and RS256
// JWTs; 401 for missing/invalid/expired credentials, 403 for a missing scope.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type KeyLike, SignJWT, exportJWK, exportSPKI, generateKeyPair } from 'jose';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { supergraphFile } from '@tonegraph/schema-tools';
import { parseApiKeys, readJwtKeyFiles } from '../src/auth/index.ts';
import { closeOf, post, startGateway, watch, wsClient, type RunningGateway } from './support.ts';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const READ_KEY = 'read-key-0123456789abcdef';
const ADMIN_KEY = 'admin-key-0123456789abcdef';
const HS_SECRET = 'an-hs256-secret-of-at-least-32-characters!';
const ISSUER = 'https://auth.example.test/';
const AUDIENCE = 'tonegraph';

let catalog: Harness;
let gw: RunningGateway;
let rsPrivate: KeyLike;
let jwksPrivate: KeyLike;
let dir: string;
let jobId: string;

before(async () => {
  catalog = await startCatalog();
  const pair = await generateKeyPair('RS256', { extractable: true });
  rsPrivate = pair.privateKey;
  // A second RS256 key, published as a JWKS file and chosen by `kid`.
  const jwksPair = await generateKeyPair('RS256', { extractable: true });
  jwksPrivate = jwksPair.privateKey;
  dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-jwks-'));
  const jwksFile = path.join(dir, 'jwks.json');
  const jwk = { ...(await exportJWK(jwksPair.publicKey)), kid: 'k2', alg: 'RS256', use: 'sig' };
  await writeFile(jwksFile, JSON.stringify({ keys: [jwk] }));
  const files = await readJwtKeyFiles({ jwksFile });
  gw = await startGateway(await readFile(supergraphFile, 'utf8'), {
    subgraphUrls: { catalog: catalog.url },
    auth: {
      apiKeys: parseApiKeys(`ui:${READ_KEY}:read,ops:${ADMIN_KEY}:admin`),
      jwt: {
        ...files,
        secret: HS_SECRET,
        publicKeyPem: await exportSPKI(pair.publicKey),
        issuer: ISSUER,
        audience: AUDIENCE,
      },
    },
  });
  const [library] = await catalog.database.sql<{ id: string }[]>`
    insert into libraries (name, path) values ('Auth', '/auth') returning id`;
  const [job] = await catalog.database.sql<{ id: string }[]>`
    insert into import_jobs (library_id, mode, status, total, processed)
    values (${library!.id}, 'FULL', 'COMPLETED', 1, 1) returning id`;
  jobId = job!.id;
});

after(async () => {
  await gw?.stop();
  await catalog?.close();
  await rm(dir, { recursive: true, force: true });
});

const hs = (claims: Record<string, unknown>, exp: string | number = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(exp)
    .setSubject('user-1')
    .sign(new TextEncoder().encode(HS_SECRET));

const rs = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(rsPrivate);

const QUERY = { query: '{ libraries { name } }' };
const MUTATION = { query: 'mutation { addLibrary(path: "relative", name: "x") { id } }' };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('HTTP: no credentials or a wrong key → 401 UNAUTHENTICATED; a read key queries', async () => {
  const none = await post(gw.url, QUERY);
  assert.equal(none.status, 401);
  assert.equal(none.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  const wrong = await post(gw.url, QUERY, { 'x-api-key': 'not-a-key-0123456789' });
  assert.equal(wrong.status, 401);
  const ok = await post(gw.url, QUERY, bearer(READ_KEY));
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body.data, { libraries: [{ name: 'Auth' }] });
  const viaHeader = await post(gw.url, QUERY, { 'x-api-key': READ_KEY });
  assert.equal(viaHeader.status, 200);
});

test('HTTP: a mutation with the read scope → 403 FORBIDDEN naming admin; admin passes', async () => {
  const denied = await post(gw.url, MUTATION, bearer(READ_KEY));
  assert.equal(denied.status, 403);
  assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  assert.equal(denied.body.errors?.[0]?.extensions?.requiredScope, 'admin');
  const allowed = await post(gw.url, MUTATION, bearer(ADMIN_KEY));
  // Past auth: the catalog itself refuses the relative path.
  assert.equal(allowed.body.errors?.[0]?.extensions?.code, 'LIBRARY_PATH_INVALID');
});

test('JWT HS256: valid, expired, wrong audience, no scope', async () => {
  assert.equal((await post(gw.url, QUERY, bearer(await hs({ scope: 'read' })))).status, 200);
  const expired = await post(
    gw.url,
    QUERY,
    bearer(await hs({ scope: 'read' }, Math.floor(Date.now() / 1000) - 60)),
  );
  assert.equal(expired.status, 401);
  assert.equal(expired.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
  assert.match(expired.body.errors?.[0]?.message ?? '', /expired/);
  const otherAudience = await new SignJWT({ scope: 'read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('someone-else')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(HS_SECRET));
  assert.equal((await post(gw.url, QUERY, bearer(otherAudience))).status, 401);
  const tampered = (await hs({ scope: 'read admin' })).slice(0, -2) + 'xx';
  assert.equal((await post(gw.url, QUERY, bearer(tampered))).status, 401);
  const noScope = await post(gw.url, QUERY, bearer(await hs({})));
  assert.equal(noScope.status, 403);
});

test('JWT RS256: a read token queries, and its mutation is refused with 403', async () => {
  const token = await rs({ scope: 'read' });
  assert.equal((await post(gw.url, QUERY, bearer(token))).status, 200);
  const denied = await post(gw.url, MUTATION, bearer(token));
  assert.equal(denied.status, 403);
  assert.equal(denied.body.errors?.[0]?.extensions?.code, 'FORBIDDEN');
  const admin = await post(gw.url, MUTATION, bearer(await rs({ scp: ['admin'] })));
  assert.equal(admin.body.errors?.[0]?.extensions?.code, 'LIBRARY_PATH_INVALID');
});

test('JWT RS256 from a JWKS file, chosen by kid', async () => {
  const token = await new SignJWT({ scope: 'read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k2' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(jwksPrivate);
  assert.equal((await post(gw.url, QUERY, bearer(token))).status, 200);
  // Signed by a key the gateway does not know, with the same kid.
  const stranger = await generateKeyPair('RS256');
  const forged = await new SignJWT({ scope: 'read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'k2' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('5m')
    .sign(stranger.privateKey);
  assert.equal((await post(gw.url, QUERY, bearer(forged))).status, 401);
});

test('WebSocket: connection_init without credentials → 4401, without the read scope → 4403', async () => {
  const anonymous = wsClient(gw.wsUrl);
  const closedAnon = closeOf(anonymous);
  const w1 = watch(anonymous, `subscription { importProgress(jobId: "${jobId}") { status } }`);
  assert.equal((await closedAnon).code, 4401);
  await assert.rejects(w1.ended);
  await anonymous.dispose();

  const scopeless = createClient({
    url: gw.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: bearer(await hs({})),
  });
  const closedScopeless = closeOf(scopeless);
  const w2 = watch(scopeless, `subscription { importProgress(jobId: "${jobId}") { status } }`);
  assert.equal((await closedScopeless).code, 4403);
  await assert.rejects(w2.ended);
  await scopeless.dispose();
});

test('WebSocket: a Bearer token in connection_init subscribes', async () => {
  const client = createClient({
    url: gw.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: bearer(await rs({ scope: 'read' })),
  });
  try {
    const w = watch<{ importProgress: { status: string } }>(
      client,
      `subscription { importProgress(jobId: "${jobId}") { status } }`,
    );
    await w.ended;
    assert.deepEqual(w.results, [{ data: { importProgress: { status: 'COMPLETED' } } }]);
  } finally {
    await client.dispose();
  }
});

test('SSE: the Authorization header is required', async () => {
  const sse = gw.url.replace(/\/graphql$/, '/graphql/stream');
  const body = JSON.stringify({ query: `subscription { importProgress(jobId: "${jobId}") { status } }` });
  const headers = { 'content-type': 'application/json', accept: 'text/event-stream' };
  const refused = await fetch(sse, { method: 'POST', headers, body });
  assert.equal(refused.status, 401);
  assert.equal(
    ((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
    'UNAUTHENTICATED',
  );
  // Valid credentials without the read scope: 403, and the gateway goes on serving.
  const noScope = await fetch(sse, {
    method: 'POST',
    headers: { ...headers, ...bearer(await hs({})) },
    body,
  });
  assert.equal(noScope.status, 403);
  assert.equal(
    ((await noScope.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
    'FORBIDDEN',
  );
  const ok = await fetch(sse, { method: 'POST', headers: { ...headers, ...bearer(READ_KEY) }, body });
  assert.equal(ok.status, 200);
  assert.match(await ok.text(), /COMPLETED/);
});
