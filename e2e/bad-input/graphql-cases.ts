// The GraphQL half of the catalogue: what clients send the gateway over HTTP
// and graphql-ws, credentials included, plus what reaches addLibrary and the
// subgraphs directly. Each case asserts the status and the error code the
// gateway documents (gateway/README.md) and returns what it saw.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Catalogue } from './catalogue.ts';
import { closeOf, codeOf, hs256, openWs, send, type Reply, type WsProbe } from './client.ts';

export interface CaseContext {
  readonly t: TestContext;
  readonly catalogue: Catalogue;
  /** The gateway's /graphql. */
  readonly url: string;
  readonly adminKey: string;
  readonly readKey: string;
  readonly jwtSecret: string;
  /** A library that exists, for subscriptions. */
  readonly libraryId: string;
}

const admin = (ctx: CaseContext) => ({ authorization: `Bearer ${ctx.adminKey}` });
const now = () => Math.floor(Date.now() / 1000);

/** Asserts a reply's status and first error code; returns them as the observation. */
function expectReply(reply: Reply, status: number, code: string): string {
  const seen = `${reply.status} ${codeOf(reply.body) ?? '(no code)'}`;
  assert.equal(seen, `${status} ${code}`, `answer: ${reply.text.slice(0, 300)}`);
  assert.doesNotMatch(reply.text, /\bat .+\.(ts|js):\d+/, 'no stack trace in the answer');
  return `${seen}: ${reply.body?.errors?.[0]?.message.slice(0, 80) ?? ''}`;
}

/** `{ tracks(first: 1) { … library { tracks(first: 1) … } } }`, `levels` × 4 deep. */
function deepQuery(levels: number): string {
  const open = 'library { tracks(first: 1) { edges { node { ';
  return `{ tracks(first: 1) { edges { node { ${open.repeat(levels)} id ${'} } } } '.repeat(levels)} } } } }`;
}

export async function httpCases(ctx: CaseContext): Promise<void> {
  const group = 'graphql http';
  const c = (name: string, expected: string, fn: () => Promise<string>) =>
    ctx.catalogue.check(ctx.t, group, name, expected, fn);
  const post = (body: unknown, headers: Record<string, string> = admin(ctx)) =>
    send(ctx.url, body, { headers });

  await c('depth bomb (50 levels)', '400 QUERY_TOO_DEEP', async () =>
    expectReply(await post({ query: deepQuery(12) }), 400, 'QUERY_TOO_DEEP'),
  );
  await c('alias bomb (200 aliases)', '400 TOO_MANY_ALIASES', async () => {
    const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: title`).join(' ');
    return expectReply(
      await post({ query: `{ tracks(first: 1) { edges { node { ${aliases} } } } }` }),
      400,
      'TOO_MANY_ALIASES',
    );
  });
  await c('root-field bomb (11 root fields)', '400 TOO_MANY_ROOT_FIELDS', async () => {
    const query = `{ libraries { id } tracks(first: 1) { totalCount } albums(first: 1) { totalCount }
      artists(first: 1) { totalCount } importJobs(first: 1) { totalCount } search(text: "x") { score }
      track(id: "x") { id } album(id: "x") { id } artist(id: "x") { id } library(id: "x") { id }
      importJob(id: "x") { id } }`;
    return expectReply(await post({ query }), 400, 'TOO_MANY_ROOT_FIELDS');
  });
  await c('cost bomb (500 × 20 × 20 × 20)', '400 QUERY_TOO_COMPLEX', async () => {
    const query = `{ tracks(first: 500) { edges { node { album { tracks { artists { artist { albums { title } } } } } } } } }`;
    return expectReply(await post({ query }), 400, 'QUERY_TOO_COMPLEX');
  });
  await c('huge page size (first: 100000)', '400 PAGE_SIZE_TOO_LARGE', async () =>
    expectReply(
      await post({ query: '{ tracks(first: 100000) { edges { node { id } } } }' }),
      400,
      'PAGE_SIZE_TOO_LARGE',
    ),
  );
  await c('huge page size in a variable', '400 PAGE_SIZE_TOO_LARGE', async () =>
    expectReply(
      await post({
        query: 'query($n: Int) { tracks(first: $n) { edges { node { id } } } }',
        variables: { n: 1_000_000 },
      }),
      400,
      'PAGE_SIZE_TOO_LARGE',
    ),
  );
  await c('negative page size (first: -5)', '200 BAD_USER_INPUT from catalog', async () => {
    // Not a gateway limit: the catalog refuses it during execution, so the status stays 200.
    const reply = await post({ query: '{ tracks(first: -5) { edges { node { id } } } }' });
    assert.equal(reply.body?.errors?.[0]?.extensions?.serviceName, 'catalog');
    return expectReply(reply, 200, 'BAD_USER_INPUT');
  });
  await c('wrong variable type (Int ← "ten")', '400 BAD_USER_INPUT', async () =>
    expectReply(
      await post({
        query: 'query($n: Int) { tracks(first: $n) { edges { node { id } } } }',
        variables: { n: 'ten' },
      }),
      400,
      'BAD_USER_INPUT',
    ),
  );
  await c('missing required variable', '400 BAD_USER_INPUT', async () =>
    expectReply(await post({ query: 'query($id: ID!) { track(id: $id) { id } }' }), 400, 'BAD_USER_INPUT'),
  );
  await c('Int literal over 2^31', '400 GRAPHQL_VALIDATION_FAILED', async () =>
    expectReply(
      await post({ query: '{ tracks(first: 99999999999) { edges { node { id } } } }' }),
      400,
      'GRAPHQL_VALIDATION_FAILED',
    ),
  );
  await c('syntax error', '400 GRAPHQL_PARSE_FAILED', async () =>
    expectReply(await post({ query: '{ tracks(first: ' }), 400, 'GRAPHQL_PARSE_FAILED'),
  );
  await c('fragment cycle', '400 GRAPHQL_VALIDATION_FAILED', async () =>
    expectReply(
      await post({
        query: '{ libraries { ...A } } fragment A on Library { id ...B } fragment B on Library { name ...A }',
      }),
      400,
      'GRAPHQL_VALIDATION_FAILED',
    ),
  );
  await c('oversized body (2 MiB)', '413 PAYLOAD_TOO_LARGE', async () =>
    expectReply(
      await post({ query: '{ libraries { id } }', variables: { pad: 'x'.repeat(2 * 1024 * 1024) } }),
      413,
      'PAYLOAD_TOO_LARGE',
    ),
  );
  await c('batch of 50 operations', '400 BATCH_LIMIT_EXCEEDED', async () =>
    expectReply(
      await post(Array.from({ length: 50 }, () => ({ query: '{ libraries { id } }' }))),
      400,
      'BATCH_LIMIT_EXCEEDED',
    ),
  );
  await c(
    'batch: one bad operation among good ones',
    'the good one answers, the bad one GRAPHQL_PARSE_FAILED',
    async () => {
      const reply = await post([{ query: '{ libraries { id } }' }, { query: '{ nope' }]);
      // Apollo Server answers a batch with the status of its worst operation.
      assert.ok([200, 400].includes(reply.status), reply.text.slice(0, 300));
      assert.equal(reply.results.length, 2);
      assert.ok(reply.results[0]?.data?.libraries, 'the good operation answers');
      assert.equal(codeOf(reply.results[1]), 'GRAPHQL_PARSE_FAILED');
      return `${reply.status} [data, ${codeOf(reply.results[1])}]`;
    },
  );
  await c('malformed JSON', '400 BAD_REQUEST', async () =>
    expectReply(await post('{"query": "{ libraries { id } }"'), 400, 'BAD_REQUEST'),
  );
  await c('JSON of the wrong shape ({"query": 42})', '400 BAD_REQUEST', async () =>
    expectReply(await post({ query: 42 }), 400, 'BAD_REQUEST'),
  );
  await c('unknown persisted-query hash', 'PERSISTED_QUERY_NOT_FOUND', async () => {
    const reply = await post({
      extensions: { persistedQuery: { version: 1, sha256Hash: randomBytes(32).toString('hex') } },
    });
    assert.equal(codeOf(reply.body), 'PERSISTED_QUERY_NOT_FOUND', reply.text.slice(0, 300));
    assert.ok(reply.status < 500, `status ${reply.status}`);
    return `${reply.status} ${codeOf(reply.body)}`;
  });
  await c('persisted query whose hash does not match', '400 BAD_REQUEST', async () => {
    const reply = await post({
      query: '{ libraries { id } }',
      extensions: {
        persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('{ other }').digest('hex') },
      },
    });
    return expectReply(reply, 400, 'BAD_REQUEST');
  });
  await c('simple-request POST (CSRF)', '400 BAD_REQUEST', async () =>
    expectReply(
      await send(ctx.url, '{"query":"{ libraries { id } }"}', {
        headers: { ...admin(ctx), 'content-type': 'text/plain' },
      }),
      400,
      'BAD_REQUEST',
    ),
  );
  await c('subscription sent as HTTP POST', '400 OPERATION_NOT_SUPPORTED', async () =>
    expectReply(
      await post({ query: `subscription { libraryEvents(libraryId: "${ctx.libraryId}") { type } }` }),
      400,
      'OPERATION_NOT_SUPPORTED',
    ),
  );
}

export async function authCases(ctx: CaseContext): Promise<void> {
  const group = 'auth';
  const c = (name: string, expected: string, fn: () => Promise<string>) =>
    ctx.catalogue.check(ctx.t, group, name, expected, fn);
  const query = { query: '{ libraries { id } }' };
  const as = (headers: Record<string, string>) => send(ctx.url, query, { headers });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const claims = (extra: Record<string, unknown> = {}) => ({
    sub: 'e2e',
    scope: 'read admin',
    iat: now(),
    exp: now() + 300,
    ...extra,
  });

  await c('no credentials', '401 UNAUTHENTICATED', async () => {
    const reply = await as({});
    assert.equal(reply.headers.get('www-authenticate')?.startsWith('Bearer'), true, 'WWW-Authenticate');
    return expectReply(reply, 401, 'UNAUTHENTICATED');
  });
  await c('unknown API key', '401 UNAUTHENTICATED', async () =>
    expectReply(await as({ 'x-api-key': randomBytes(24).toString('hex') }), 401, 'UNAUTHENTICATED'),
  );
  await c('garbage bearer token', '401 UNAUTHENTICATED', async () =>
    expectReply(await as(bearer('not.a.token!')), 401, 'UNAUTHENTICATED'),
  );
  await c('expired JWT', '401 UNAUTHENTICATED', async () =>
    expectReply(
      await as(bearer(hs256(ctx.jwtSecret, claims({ iat: now() - 7200, exp: now() - 3600 })))),
      401,
      'UNAUTHENTICATED',
    ),
  );
  await c('JWT signed with another secret', '401 UNAUTHENTICATED', async () =>
    expectReply(await as(bearer(hs256(`${ctx.jwtSecret}-forged`, claims()))), 401, 'UNAUTHENTICATED'),
  );
  await c('JWT with alg "none"', '401 UNAUTHENTICATED', async () =>
    expectReply(await as(bearer(hs256('', claims(), 'none'))), 401, 'UNAUTHENTICATED'),
  );
  await c('JWT without exp', '401 UNAUTHENTICATED', async () => {
    const { exp: _exp, ...rest } = claims();
    return expectReply(await as(bearer(hs256(ctx.jwtSecret, rest))), 401, 'UNAUTHENTICATED');
  });
  await c('mutation with a read-scope key', '403 FORBIDDEN (requiredScope admin)', async () => {
    const reply = await send(
      ctx.url,
      { query: 'mutation($id: ID!) { scanLibrary(id: $id) { id } }', variables: { id: ctx.libraryId } },
      { headers: bearer(ctx.readKey) },
    );
    assert.equal(reply.body?.errors?.[0]?.extensions?.requiredScope, 'admin', reply.text.slice(0, 300));
    return expectReply(reply, 403, 'FORBIDDEN');
  });
  await c('mutation with a read-scope JWT', '403 FORBIDDEN', async () =>
    expectReply(
      await send(
        ctx.url,
        { query: 'mutation($id: ID!) { removeLibrary(id: $id) }', variables: { id: ctx.libraryId } },
        { headers: bearer(hs256(ctx.jwtSecret, claims({ scope: 'read' }))) },
      ),
      403,
      'FORBIDDEN',
    ),
  );
  await c('SSE subscription without credentials', '401 UNAUTHENTICATED', async () =>
    expectReply(
      await send(
        ctx.url.replace(/\/graphql$/, '/graphql/stream'),
        { query: `subscription { libraryEvents(libraryId: "${ctx.libraryId}") { type } }` },
        { headers: { accept: 'text/event-stream' } },
      ),
      401,
      'UNAUTHENTICATED',
    ),
  );
}

/** A socket past `connection_init` with the admin key. */
async function acked(ctx: CaseContext): Promise<WsProbe> {
  const ws = await openWs(ctx.url);
  ws.send({ type: 'connection_init', payload: { authorization: `Bearer ${ctx.adminKey}` } });
  await ws.next((m) => m.type === 'connection_ack');
  return ws;
}

const closedWith = async (ws: WsProbe, code: number) => {
  const close = await closeOf(ws);
  assert.equal(close.code, code, `closed ${close.code} ${close.reason}`);
  return `close ${close.code} ${close.reason}`;
};

export async function wsCases(ctx: CaseContext): Promise<void> {
  const group = 'graphql-ws';
  const c = (name: string, expected: string, fn: () => Promise<string>) =>
    ctx.catalogue.check(ctx.t, group, name, expected, fn);
  const events = (id: string) => ({
    id,
    type: 'subscribe',
    payload: { query: `subscription { libraryEvents(libraryId: "${ctx.libraryId}") { type at } }` },
  });

  await c('frame that is not JSON', 'close 4400', async () => {
    const ws = await acked(ctx);
    ws.send('{"type": "subscribe", ');
    return closedWith(ws, 4400);
  });
  await c('frame of an unknown type', 'close 4400', async () => {
    const ws = await acked(ctx);
    ws.send({ type: 'launch_missiles', id: '1' });
    return closedWith(ws, 4400);
  });
  await c('subscribe before connection_init', 'close 4401', async () => {
    const ws = await openWs(ctx.url);
    ws.send(events('1'));
    return closedWith(ws, 4401);
  });
  await c('no connection_init at all', 'close 4408 (after 3 s)', async () => {
    const ws = await openWs(ctx.url);
    return closedWith(ws, 4408);
  });
  await c('connection_init twice', 'close 4429', async () => {
    const ws = await acked(ctx);
    ws.send({ type: 'connection_init', payload: { authorization: `Bearer ${ctx.adminKey}` } });
    return closedWith(ws, 4429);
  });
  await c('connection_init without credentials', 'close 4401', async () => {
    const ws = await openWs(ctx.url);
    ws.send({ type: 'connection_init' });
    return closedWith(ws, 4401);
  });
  await c('connection_init with an expired JWT', 'close 4401', async () => {
    const ws = await openWs(ctx.url);
    const token = hs256(ctx.jwtSecret, { sub: 'e2e', scope: 'read', exp: now() - 60 });
    ws.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    return closedWith(ws, 4401);
  });
  await c('two subscriptions with one id', 'close 4409', async () => {
    const ws = await acked(ctx);
    ws.send(events('same'));
    ws.send(events('same'));
    return closedWith(ws, 4409);
  });
  await c(
    'too many subscriptions on one socket (6 > 5)',
    'error TOO_MANY_SUBSCRIPTIONS on #6; the socket serves on',
    async () => {
      const ws = await acked(ctx);
      try {
        for (let i = 1; i <= 6; i++) ws.send(events(String(i)));
        const refused = await ws.next((m) => m.type === 'error');
        const errors = refused.payload as { extensions?: { code?: string } }[];
        assert.equal(refused.id, '6', 'the sixth is refused');
        assert.equal(errors[0]?.extensions?.code, 'TOO_MANY_SUBSCRIPTIONS');
        // The connection still serves: a completed subscription frees its slot for the next
        // operation (a query here, refused for what it is, not for the count).
        ws.send({ id: '1', type: 'complete' });
        ws.send({ id: '7', type: 'subscribe', payload: { query: '{ libraries { id } }' } });
        const answer = await ws.next((m) => m.id === '7');
        const next = (answer.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code;
        assert.equal(next, 'OPERATION_NOT_SUPPORTED');
        return `error ${errors[0]?.extensions?.code} on #6; after a complete, #7 gets ${next}`;
      } finally {
        ws.close();
      }
    },
  );
  await c('query over graphql-ws', 'error OPERATION_NOT_SUPPORTED', async () => {
    const ws = await acked(ctx);
    try {
      ws.send({ id: 'q', type: 'subscribe', payload: { query: '{ libraries { id } }' } });
      const error = await ws.next((m) => m.id === 'q');
      const code = (error.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code;
      assert.equal(code, 'OPERATION_NOT_SUPPORTED');
      return `error ${code}`;
    } finally {
      ws.close();
    }
  });
  await c(
    'invalid subscription, then a valid one',
    'error GRAPHQL_VALIDATION_FAILED; next works',
    async () => {
      const ws = await acked(ctx);
      try {
        ws.send({ id: 'bad', type: 'subscribe', payload: { query: 'subscription { nope }' } });
        const error = await ws.next((m) => m.id === 'bad');
        const code = (error.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code;
        assert.equal(code, 'GRAPHQL_VALIDATION_FAILED');
        ws.send({
          id: 'deep',
          type: 'subscribe',
          payload: {
            query: `subscription { libraryEvents(libraryId: "${ctx.libraryId}") { ${'library { tracks(first: 1) { edges { node { '.repeat(5)} id ${'} } } } '.repeat(5)} } }`,
          },
        });
        const deep = await ws.next((m) => m.id === 'deep');
        const deepCode = (deep.payload as { extensions?: { code?: string } }[])[0]?.extensions?.code;
        assert.equal(deepCode, 'QUERY_TOO_DEEP');
        return `error ${code}, then ${deepCode}; socket open`;
      } finally {
        ws.close();
      }
    },
  );
  await c('message over the size limit (1.5 MiB)', 'close 1009', async () => {
    const ws = await acked(ctx);
    ws.send({
      ...events('big'),
      payload: { query: `subscription { __typename } # ${'x'.repeat(1.5 * 1024 * 1024)}` },
    });
    return closedWith(ws, 1009);
  });
}

export interface LibraryCaseContext extends CaseContext {
  /** Allowed root, an existing library inside it, a regular file, a symlink to /etc. */
  readonly root: string;
  readonly existing: string;
  readonly file: string;
  readonly escape: string;
}

export async function libraryCases(ctx: LibraryCaseContext): Promise<void> {
  const group = 'addLibrary';
  const c = (name: string, expected: string, fn: () => Promise<string>) =>
    ctx.catalogue.check(ctx.t, group, name, expected, fn);
  const add = async (path: string, name = 'bad') =>
    send(
      ctx.url,
      {
        query: 'mutation($p: String!, $n: String!) { addLibrary(path: $p, name: $n) { id } }',
        variables: { p: path, n: name },
      },
      { headers: admin(ctx) },
    );
  const refused = async (path: string, code: string, name?: string) => {
    const reply = await add(path, name);
    assert.equal(reply.body?.data ?? null, null, 'no library');
    return expectReply(reply, 200, code);
  };
  await c('path traversal (..)', 'LIBRARY_PATH_TRAVERSAL', () =>
    refused(`${ctx.existing}/../../../etc`, 'LIBRARY_PATH_TRAVERSAL'),
  );
  await c('symlink escaping the allowed root', 'LIBRARY_PATH_OUTSIDE_ROOTS', () =>
    refused(ctx.escape, 'LIBRARY_PATH_OUTSIDE_ROOTS'),
  );
  await c('relative path', 'LIBRARY_PATH_INVALID', () => refused('music/jazz', 'LIBRARY_PATH_INVALID'));
  await c('NUL byte in the path', 'LIBRARY_PATH_INVALID', () =>
    refused(`${ctx.root}/a\u0000b`, 'LIBRARY_PATH_INVALID'),
  );
  await c('path that does not exist', 'LIBRARY_PATH_NOT_FOUND', () =>
    refused(`${ctx.root}/no-such-folder`, 'LIBRARY_PATH_NOT_FOUND'),
  );
  await c('a file, not a folder', 'LIBRARY_PATH_NOT_DIRECTORY', () =>
    refused(ctx.file, 'LIBRARY_PATH_NOT_DIRECTORY'),
  );
  await c('folder inside an existing library', 'LIBRARY_OVERLAPS', () =>
    refused(`${ctx.existing}/Broken`, 'LIBRARY_OVERLAPS'),
  );
  await c('name of 1,000 characters', 'BAD_USER_INPUT', () =>
    refused(`${ctx.root}/no-such-folder`, 'BAD_USER_INPUT', 'n'.repeat(1000)),
  );
  await c('scanLibrary of an id that is not a UUID', 'BAD_USER_INPUT', async () => {
    const reply = await send(
      ctx.url,
      { query: `mutation { scanLibrary(id: "1'; drop table tracks; --") { id } }` },
      { headers: admin(ctx) },
    );
    return expectReply(reply, 200, 'BAD_USER_INPUT');
  });
}

/** The subgraphs' own URLs, which only the gateway may call. */
export type SubgraphUrls = Readonly<Record<'catalog' | 'analysis' | 'library-graph', string>>;

export async function subgraphCases(ctx: CaseContext, urls: SubgraphUrls): Promise<void> {
  const group = 'subgraphs';
  const c = (name: string, expected: string, fn: () => Promise<string>) =>
    ctx.catalogue.check(ctx.t, group, name, expected, fn);
  for (const [name, url] of Object.entries(urls)) {
    await c(`direct call to ${name} without the signature`, '401 UNAUTHENTICATED', async () =>
      expectReply(await send(url, { query: '{ __typename }' }), 401, 'UNAUTHENTICATED'),
    );
  }
  await c('direct call to catalog with a wrong signature', '401 UNAUTHENTICATED', async () =>
    expectReply(
      await send(
        urls.catalog,
        { query: '{ libraries { id path } }' },
        {
          headers: { 'x-tonegraph-subgraph-secret': randomBytes(24).toString('hex') },
        },
      ),
      401,
      'UNAUTHENTICATED',
    ),
  );
  await c('direct graphql-ws to catalog without the signature', 'close 4401', async () => {
    const ws = await openWs(urls.catalog);
    ws.send({ type: 'connection_init', payload: {} });
    return closedWith(ws, 4401);
  });
}
