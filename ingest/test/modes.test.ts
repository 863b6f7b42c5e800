import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { canonicalCatalog, startHarness } from './harness.ts';

let set: FixtureSet;
before(async () => {
  set = await generateFixtures(await mkdtemp(path.join(tmpdir(), 'tonegraph-modes-')), {
    durationSeconds: 2,
  });
});
after(() => rm(set.dir, { recursive: true, force: true }));

test('sequential and asynchronous modes import the same library into identical catalogs', async () => {
  const dumps = [];
  for (const sequential of [true, false]) {
    const h = await startHarness({ sequential });
    try {
      const job = await h.scan(await h.addLibrary(set.dir), 'FULL');
      assert.equal(job.status, 'COMPLETED', `sequential=${sequential}`);
      dumps.push(await canonicalCatalog(h.database));
    } finally {
      await h.close();
    }
  }
  assert.equal(dumps[0]!.length, set.tracks.length);
  assert.deepEqual(dumps[1], dumps[0]);
});
