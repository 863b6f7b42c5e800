// The Subsonic envelope and its errors over plain HTTP: XML by default and
// JSON with f=json (both the same data), `.view` and bare endpoint names,
// form POSTs, the three authentication mechanisms and each refusal's code
// (10, 40, 43, 44), and 70 for what does not exist.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { startFixture, type Fixture } from './support.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f?.close());

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });
type Envelope = { status: string; error?: { code: number; message: string } } & Record<string, unknown>;

async function call(endpoint: string, params: Record<string, string>, init: RequestInit = {}) {
  const res = await fetch(`${f.url}/rest/${endpoint}?${new URLSearchParams(params).toString()}`, init);
  return { res, text: await res.text() };
}
const json = async <T = object>(endpoint: string, params: Record<string, string>) => {
  const { res, text } = await call(endpoint, { ...params, f: 'json' });
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  return (JSON.parse(text) as { 'subsonic-response': Envelope & T })['subsonic-response'];
};
const token = (password: string) => {
  const s = randomBytes(6).toString('hex');
  return {
    t: createHash('md5')
      .update(password + s)
      .digest('hex'),
    s,
  };
};
const asListener = () => ({ u: f.listener.name, ...token(f.listener.password), v: '1.16.1', c: 'test' });

describe('envelope', () => {
  test('ping answers XML by default, in the Subsonic namespace, with the OpenSubsonic fields', async () => {
    const { res, text } = await call('ping.view', asListener());
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/xml/);
    assert.match(text, /^<\?xml version="1.0" encoding="UTF-8"\?>/);
    const body = xml.parse(text) as { 'subsonic-response': Record<string, string> };
    assert.deepEqual(body['subsonic-response'], {
      xmlns: 'http://subsonic.org/restapi',
      status: 'ok',
      version: '1.16.1',
      type: 'tonegraph',
      serverVersion: '0.1.0',
      openSubsonic: 'true',
    });
  });

  test('f=json answers the same envelope as JSON, and the name without .view works too', async () => {
    const body = await json('ping', asListener());
    assert.deepEqual(body, {
      status: 'ok',
      version: '1.16.1',
      type: 'tonegraph',
      serverVersion: '0.1.0',
      openSubsonic: true,
    });
  });

  test('an album in XML carries the same songs as in JSON, songs as child elements', async () => {
    const id = await json<{ albumList2: { album: { id: string; name: string }[] } }>('getAlbumList2', {
      ...asListener(),
      type: 'alphabeticalByName',
    });
    const blue = id.albumList2.album.find((a) => a.name === 'Blue Garden')!;
    const asJson = await json<{ album: { song: { id: string; title: string; track: number }[] } }>(
      'getAlbum',
      {
        ...asListener(),
        id: blue.id,
      },
    );
    const { text } = await call('getAlbum.view', { ...asListener(), id: blue.id });
    const asXml = xml.parse(text) as {
      'subsonic-response': { album: { song: { id: string; title: string }[] } };
    };
    assert.deepEqual(
      asXml['subsonic-response'].album.song.map((s) => [s.id, s.title]),
      asJson.album.song.map((s) => [s.id, s.title]),
    );
    assert.deepEqual(
      asJson.album.song.map((s) => s.track),
      [1, 2, 3, 4],
    );
  });

  test('a form POST (formPost extension) is read like a query string', async () => {
    const res = await fetch(`${f.url}/rest/getSong.view`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...asListener(), f: 'json', id: f.tracks.get('Red Harbour 2')! }),
    });
    const body = ((await res.json()) as { 'subsonic-response': { song: { title: string; suffix: string } } })[
      'subsonic-response'
    ];
    assert.equal(body.song.title, 'Red Harbour 2');
    assert.equal(body.song.suffix, 'flac');
  });
});

describe('authentication', () => {
  test('getOpenSubsonicExtensions answers without any credentials, as OpenSubsonic requires', async () => {
    const body = await json<{ openSubsonicExtensions: { name: string; versions: number[] }[] }>(
      'getOpenSubsonicExtensions',
      {},
    );
    assert.equal(body.status, 'ok');
    assert.deepEqual(body.openSubsonicExtensions, [
      { name: 'apiKeyAuthentication', versions: [1] },
      { name: 'formPost', versions: [1] },
      { name: 'transcodeOffset', versions: [1] },
    ]);
    // Everything else needs them.
    assert.equal((await json('getLicense', {})).error?.code, 10);
  });

  test('a plain password and its enc: hex form both sign in', async () => {
    const p = f.listener.password;
    assert.equal((await json('ping', { u: f.listener.name, p })).status, 'ok');
    const hex = `enc:${Buffer.from(p, 'utf8').toString('hex')}`;
    assert.equal((await json('ping', { u: f.listener.name, p: hex })).status, 'ok');
  });

  test('a wrong password, token or user name is error 40', async () => {
    for (const params of [
      { u: f.listener.name, p: 'nope' },
      { u: f.listener.name, ...token('nope') },
      { u: 'nobody-at-all', ...token(f.listener.password) },
    ]) {
      const body = await json('ping', params);
      assert.equal(body.status, 'failed');
      assert.equal(body.error?.code, 40, JSON.stringify(params));
    }
  });

  test('an API key alone signs in (tokenInfo names its user); an unknown key is error 44', async () => {
    const ok = await json<{ tokenInfo: { username: string } }>('tokenInfo', { apiKey: f.apiKey });
    assert.equal(ok.tokenInfo.username, f.listener.name);
    const bad = await json('ping', { apiKey: 'tgk_not-a-key' });
    assert.equal(bad.error?.code, 44);
  });

  test('an API key beside u/p is error 43 (conflicting mechanisms)', async () => {
    const body = await json('ping', { apiKey: f.apiKey, u: f.listener.name, p: f.listener.password });
    assert.equal(body.status, 'failed');
    assert.equal(body.error?.code, 43);
  });

  test('missing credentials or parameters are error 10', async () => {
    assert.equal((await json('ping', {})).error?.code, 10);
    assert.equal((await json('ping', { u: f.listener.name })).error?.code, 10);
    assert.equal((await json('ping', { u: f.listener.name, t: 'abc' })).error?.code, 10);
    assert.equal((await json('getAlbum', asListener())).error?.code, 10);
    assert.equal((await json('getAlbumList2', { ...asListener(), type: 'byYear' })).error?.code, 10);
  });

  test('errors are answered in XML too, status="failed" with code and message', async () => {
    const { text } = await call('ping.view', { u: f.listener.name, p: 'nope' });
    const body = xml.parse(text) as { 'subsonic-response': { status: string; error: { code: string } } };
    assert.equal(body['subsonic-response'].status, 'failed');
    assert.equal(body['subsonic-response'].error.code, '40');
  });
});

describe('not found and not allowed', () => {
  test('unknown or malformed ids are error 70', async () => {
    for (const [endpoint, id] of [
      ['getAlbum', '00000000-0000-4000-8000-000000000000'],
      ['getArtist', 'not-an-id'],
      ['getSong', '00000000-0000-4000-8000-000000000000'],
      ['getMusicDirectory', '../../etc/passwd'],
      ['getPlaylist', '00000000-0000-4000-8000-000000000000'],
      ['stream', '../../etc/passwd'],
      ['getCoverArt', '00000000-0000-4000-8000-000000000000'],
    ] as const) {
      const body = await json(endpoint, { ...asListener(), id });
      assert.equal(body.error?.code, 70, `${endpoint} ${id}`);
    }
  });

  test('an unknown endpoint is error 70; startScan by a non-admin is error 50', async () => {
    assert.equal((await json('getEverything', asListener())).error?.code, 70);
    assert.equal((await json('startScan', asListener())).error?.code, 50);
  });
});
