// Listening data in the catalog (migration 0006, store/listening-*.ts) and
// in GraphQL: passwords stored encrypted and readable only under their key,
// API keys found by their hash, plays and stars counted per user and summed
// for Track.playCount/starCount in a constant number of statements, and
// playlists kept in order through adds, removals and replacements, changed
// by their owner only.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { seedCatalog } from '../src/seed.ts';
import {
  createApiKey,
  createPlaylist,
  createUser,
  deletePlaylist,
  getPlaylist,
  passwordCipher,
  PasswordKeyError,
  PlaylistNotFoundError,
  recordPlay,
  star,
  updatePlaylist,
  userByApiKey,
  userCredentials,
} from '../src/store/index.ts';
import { startCatalog, type Harness } from './harness.ts';

let h: Harness;
let trackIds: string[];
const cipher = passwordCipher('catalog-listening-test-key');
before(async () => {
  h = await startCatalog();
  await seedCatalog(h.database.db, { tracks: 120, albums: 12, artists: 10, seed: 3 });
  trackIds = (await h.database.sql<{ id: string }[]>`select id from tracks order by title, id`).map(
    (r) => r.id,
  );
});
after(() => h?.close());

describe('users and keys', () => {
  test('a password decrypts under its key only; each encryption differs', async () => {
    const a = cipher.encrypt('s3cret');
    assert.notEqual(a, cipher.encrypt('s3cret'));
    assert.doesNotMatch(a, /s3cret/);
    assert.equal(cipher.decrypt(a), 's3cret');
    assert.throws(() => passwordCipher('another-key-entirely').decrypt(a), PasswordKeyError);
    await createUser(h.database.db, cipher, { name: 'eve', password: 'ünïcode ok' });
    const [row] = await h.database.sql<
      { password_enc: string }[]
    >`select password_enc from users where name = 'eve'`;
    assert.doesNotMatch(row!.password_enc, /ünïcode/);
    assert.equal((await userCredentials(h.database.db, cipher, 'eve'))?.password, 'ünïcode ok');
    assert.equal(await userCredentials(h.database.db, cipher, 'nobody'), null);
  });

  test('an API key is stored as its SHA-256 and finds its user', async () => {
    await createUser(h.database.db, cipher, { name: 'finn', password: 'x' });
    const { key } = await createApiKey(h.database.db, 'finn', 'car');
    const [row] = await h.database.sql<{ key_hash: string }[]>`
      select key_hash from api_keys k join users u on u.id = k.user_id where u.name = 'finn'`;
    assert.equal(row!.key_hash, createHash('sha256').update(key).digest('hex'));
    assert.equal((await userByApiKey(h.database.db, key))?.name, 'finn');
    assert.equal(await userByApiKey(h.database.db, `${key}x`), null);
  });

  test('createUser and createApiKey in GraphQL; a taken name is USER_EXISTS', async () => {
    const made = await h.gql<{ createUser: { name: string; admin: boolean } }>(
      'mutation { createUser(name: "gus", password: "pw", admin: true) { name admin } }',
    );
    assert.deepEqual(made.data?.createUser, { name: 'gus', admin: true });
    const again = await h.gql('mutation { createUser(name: "gus", password: "pw2") { name } }');
    assert.equal(again.errors?.[0]?.extensions?.code, 'USER_EXISTS');
    const key = await h.gql<{ createApiKey: { key: string; user: { name: string } } }>(
      'mutation { createApiKey(userName: "gus") { key user { name } } }',
    );
    assert.equal((await userByApiKey(h.database.db, key.data!.createApiKey.key))?.name, 'gus');
    const { data } = await h.gql<{ users: { name: string }[] }>('{ users { name } }');
    assert.ok(data?.users.some((u) => u.name === 'gus'));
  });
});

describe('plays and stars', () => {
  test('plays add up over users, the last play wins, stars count users; a page costs two statements more', async () => {
    const a = await createUser(h.database.db, cipher, { name: 'hal', password: 'x' });
    const b = await createUser(h.database.db, cipher, { name: 'ida', password: 'x' });
    const [t0, t1] = trackIds as [string, string];
    assert.equal(await recordPlay(h.database.db, a.id, t0, new Date('2026-01-02T00:00:00Z')), true);
    await recordPlay(h.database.db, a.id, t0, new Date('2026-01-01T00:00:00Z'));
    await recordPlay(h.database.db, b.id, t0, new Date('2026-03-01T00:00:00Z'));
    assert.equal(
      await recordPlay(h.database.db, a.id, '00000000-0000-4000-8000-000000000000', new Date()),
      false,
    );
    await star(h.database.db, a.id, 'track', [t0, t1]);
    await star(h.database.db, b.id, 'track', [t0, t0]);
    const res = await h.gql<{ track: { playCount: number; lastPlayed: string; starCount: number } }>(
      'query($id: ID!) { track(id: $id) { playCount lastPlayed starCount } }',
      { id: t0 },
    );
    assert.deepEqual(res.data?.track, { playCount: 3, lastPlayed: '2026-03-01T00:00:00.000Z', starCount: 2 });

    const count = async (fields: string, n: number) => {
      h.resetStatements();
      const page = await h.gql(
        `query($n: Int) { tracks(first: $n) { edges { node { title ${fields} } } } }`,
        { n },
      );
      assert.equal(page.errors, undefined);
      return h.statements.length;
    };
    const plain = await count('', 50);
    assert.equal(await count('playCount lastPlayed starCount', 10), plain + 2);
    assert.equal(await count('playCount lastPlayed starCount', 50), plain + 2);
  });
});

describe('playlists', () => {
  test('entries keep their order through removals, additions and a replacement; unknown tracks are left out', async () => {
    const owner = await createUser(h.database.db, cipher, { name: 'jo', password: 'x' });
    const other = await createUser(h.database.db, cipher, { name: 'kai', password: 'x' });
    const [a, b, c, d] = trackIds as [string, string, string, string];
    const id = await createPlaylist(h.database.db, owner.id, {
      name: 'Mix',
      trackIds: [a, '00000000-0000-4000-8000-000000000000', b, a],
    });
    assert.deepEqual((await getPlaylist(h.database.db, id))?.trackIds, [a, b, a]);
    await updatePlaylist(h.database.db, id, owner.id, { removeIndexes: [0], addTrackIds: [c], public: true });
    const changed = await getPlaylist(h.database.db, id);
    assert.deepEqual(changed?.trackIds, [b, a, c]);
    assert.equal(changed?.public, true);
    // Public: the other user sees it, but may not change it.
    assert.ok(await getPlaylist(h.database.db, id, other.id));
    await assert.rejects(
      updatePlaylist(h.database.db, id, other.id, { name: 'Mine' }),
      PlaylistNotFoundError,
    );
    await assert.rejects(deletePlaylist(h.database.db, id, other.id), PlaylistNotFoundError);
    await updatePlaylist(h.database.db, id, owner.id, { replaceTrackIds: [d, c] });
    assert.deepEqual((await getPlaylist(h.database.db, id))?.trackIds, [d, c]);

    const gql = await h.gql<{ playlists: { name: string; trackCount: number; owner: { name: string } }[] }>(
      '{ playlists { name trackCount owner { name } } }',
    );
    assert.deepEqual(gql.data?.playlists, [{ name: 'Mix', trackCount: 2, owner: { name: 'jo' } }]);
    await deletePlaylist(h.database.db, id, owner.id);
    assert.equal(await getPlaylist(h.database.db, id), null);
  });

  test("createPlaylist in GraphQL makes a user's playlist with its tracks in order", async () => {
    const [a, b] = trackIds as [string, string];
    const res = await h.gql<{
      createPlaylist: { name: string; owner: { name: string }; tracks: { id: string }[] };
    }>(
      'mutation($t: [ID!]) { createPlaylist(ownerName: "jo", name: "Road", trackIds: $t) { name owner { name } tracks { id } } }',
      { t: [b, a] },
    );
    assert.deepEqual(res.data?.createPlaylist, {
      name: 'Road',
      owner: { name: 'jo' },
      tracks: [{ id: b }, { id: a }],
    });
  });
});
