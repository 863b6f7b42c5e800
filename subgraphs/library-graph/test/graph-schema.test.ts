// The graph's schema on an empty Neo4j of the test's own (the shared one
// always has it): several processes' worth of ensureGraphSchema at the same
// moment all succeed, and a writer waiting with waitForGraphSchema says what
// it waits for and goes on once the rules are online.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Driver } from 'neo4j-driver';
import { freePort } from '@tonegraph/testing';
import { createDriver } from '../src/driver.ts';
import {
  ensureGraphSchema,
  graphSchema,
  isConcurrentSchemaError,
  missingGraphSchema,
  waitForGraphSchema,
} from '../src/graph-schema.ts';
import { startPrivateNeo4j, type PrivateNeo4j } from './private-neo4j.ts';

let dataDir: string;
let neo: PrivateNeo4j;
/** One driver per simulated process, so that their schema transactions really run side by side. */
let drivers: Driver[];

before(
  async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'tonegraph-neo4j-schema-'));
    neo = await startPrivateNeo4j(dataDir, await freePort());
    drivers = Array.from({ length: 4 }, () => createDriver(neo.url, { poolSize: 4 }));
  },
  { timeout: 120_000 },
);

after(async () => {
  await Promise.all((drivers ?? []).map((d) => d.close()));
  await neo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function dropSchema(driver: Driver): Promise<void> {
  for (const rule of graphSchema) await driver.executeQuery(`DROP ${rule.kind} ${rule.name} IF EXISTS`);
}

interface Line {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A logger that keeps what it was told; `first` resolves with its first line. */
function recorder() {
  const lines: Line[] = [];
  let told: (line: Line) => void;
  const first = new Promise<Line>((resolve) => (told = resolve));
  const keep = (fields: unknown, message?: string) => {
    const line =
      typeof fields === 'string'
        ? { fields: {}, message: fields }
        : { fields: fields as Record<string, unknown>, message: message ?? '' };
    lines.push(line);
    told(line);
  };
  return { lines, first, log: { info: keep, warn: keep } as never };
}

test('five rounds from an empty graph: four creators at once all succeed, and a waiter goes on after them', async (t) => {
  for (let round = 1; round <= 5; round++) {
    await dropSchema(drivers[0]!);
    assert.deepEqual(
      await missingGraphSchema(drivers[0]!),
      graphSchema.map((r) => r.name),
    );
    const waiter = recorder();
    const retried = recorder();
    const waiting = waitForGraphSchema(drivers[0]!, { log: waiter.log, pollMs: 50 });
    // The waiter has looked and found nothing before the creators start: it says what it waits for.
    const first = await waiter.first;
    assert.match(first.message, /waiting for the library graph's constraints and indexes/);
    assert.deepEqual(
      first.fields.missing,
      graphSchema.map((r) => r.name),
    );
    await Promise.all(drivers.map((driver) => ensureGraphSchema(driver, { log: retried.log })));
    await waiting;
    assert.deepEqual(await missingGraphSchema(drivers[0]!), [], `round ${round}`);
    assert.match(waiter.lines.at(-1)?.message ?? '', /every constraint and index is there/);
    // What raced was retried: a refused concurrent creation, or a deadlock between schema transactions.
    for (const line of retried.lines)
      assert.match(String(line.fields.code), /^Neo\.(ClientError\.Schema|TransientError)\./);
    t.diagnostic(
      `round ${round}: ${retried.lines.map((l) => String(l.fields.code)).join(', ') || 'no retry'}`,
    );
  }
});

test('a second ensureGraphSchema on a complete schema changes nothing', async () => {
  await ensureGraphSchema(drivers[0]!);
  const before = await drivers[0]!.executeQuery('SHOW CONSTRAINTS YIELD id RETURN count(*) AS n');
  await ensureGraphSchema(drivers[1]!);
  const after = await drivers[0]!.executeQuery('SHOW CONSTRAINTS YIELD id RETURN count(*) AS n');
  assert.equal(Number(after.records[0]?.get('n')), Number(before.records[0]?.get('n')));
  assert.equal(Number(after.records[0]?.get('n')), graphSchema.filter((r) => r.kind === 'constraint').length);
});

test('only the refusals of a concurrent creation count as concurrent schema errors', () => {
  const refusal = Object.assign(new Error('An equivalent index already exists'), {
    code: 'Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists',
  });
  assert.equal(isConcurrentSchemaError(refusal), true);
  assert.equal(
    isConcurrentSchemaError(Object.assign(new Error('x'), { code: 'Neo.ClientError.Statement.SyntaxError' })),
    false,
  );
  assert.equal(isConcurrentSchemaError(new Error('no code')), false);
});
