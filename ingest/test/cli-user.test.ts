// `tonegraph user add | api-key | list` against a real catalog subgraph: the
// user is stored with its password recoverable under the catalog's key (so
// Subsonic token authentication can check it), an API key is printed once
// and found again by its hash, and mistakes exit 1 with the catalog's code.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import {
  DEVELOPMENT_PASSWORD_KEY,
  passwordCipher,
  userByApiKey,
  userCredentials,
} from '@tonegraph/catalog/store';

const CLI = path.join(import.meta.dirname, '../src/cli/index.ts');
let catalog: Harness;
before(async () => {
  catalog = await startCatalog();
});
after(() => catalog?.close());

function tonegraph(args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, TONEGRAPH_URL: catalog.url }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

test('user add stores a user whose password decrypts; without --password one is made and shown', async () => {
  const given = await tonegraph(['user', 'add', 'ann', '--admin', '--password', 'open sesame']);
  assert.equal(given.code, 0, given.stderr);
  assert.equal(given.stdout, 'user ann created (admin)\n');
  const cipher = passwordCipher(DEVELOPMENT_PASSWORD_KEY);
  const ann = await userCredentials(catalog.database.db, cipher, 'ann');
  assert.equal(ann?.password, 'open sesame');
  assert.equal(ann?.user.admin, true);

  const made = await tonegraph(['user', 'add', 'bob']);
  assert.equal(made.code, 0, made.stderr);
  const password = /^password: (\S+)$/m.exec(made.stdout)?.[1];
  assert.ok(password && password.length >= 16, made.stdout);
  assert.equal((await userCredentials(catalog.database.db, cipher, 'bob'))?.password, password);

  const list = await tonegraph(['user', 'list']);
  assert.match(list.stdout, /^ann \(admin\) {2}since .+\nbob {2}since .+\n$/);
});

test('user api-key prints a key that signs in as the user; only its hash is stored', async () => {
  await tonegraph(['user', 'add', 'cleo', '--password', 'x']);
  const res = await tonegraph(['user', 'api-key', 'cleo', '--name', 'phone']);
  assert.equal(res.code, 0, res.stderr);
  const key = res.stdout.trim().split('\n').at(-1)!;
  assert.equal((await userByApiKey(catalog.database.db, key))?.name, 'cleo');
  const stored = await catalog.database.sql<{ key_hash: string; name: string }[]>`
    select k.key_hash, k.name from api_keys k join users u on u.id = k.user_id where u.name = 'cleo'`;
  assert.deepEqual(
    stored.map((s) => s.name),
    ['phone'],
  );
  assert.notEqual(stored[0]!.key_hash, key);
});

test("a taken name, an unknown user and a bad name exit 1 with the catalog's code", async () => {
  await tonegraph(['user', 'add', 'dora', '--password', 'x']);
  const taken = await tonegraph(['user', 'add', 'dora', '--password', 'y']);
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /\[USER_EXISTS\]/);
  const unknown = await tonegraph(['user', 'api-key', 'nobody']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\[NOT_FOUND\]/);
  const bad = await tonegraph(['user', 'add', 'two words', '--password', 'x']);
  assert.match(bad.stderr, /\[BAD_USER_INPUT\]/);
  assert.equal((await tonegraph(['user', 'add'])).code, 2);
});
