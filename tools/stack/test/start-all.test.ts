// `npm start`'s supervisor against the real platform: start-all.ts run as a
// process, exactly as `npm start` runs it, on ports and stores of its own
// (a fresh PostgreSQL database, MongoDB database, queues and Redis prefix).
// The gateway answers /rest/ through the Subsonic service. A subgraph killed
// with SIGKILL is restarted and the gateway answers through it again;
// SIGTERM stops every service in reverse order and exits 0; a service that
// fails on every start makes it give up, saying why, and exit 1.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import {
  createTestDatabase,
  freePortBase,
  isolation,
  testServices,
  type TestDatabase,
} from '@tonegraph/testing';
import { allQueues, queueNames } from '@tonegraph/queues';

const startAll = path.join(import.meta.dirname, '..', 'src', 'start-all.ts');
const services = testServices();
const iso = isolation();
let db: TestDatabase;
let library: string;

before(async () => {
  db = await createTestDatabase(services.DATABASE_URL);
  library = await mkdtemp(path.join(tmpdir(), 'tonegraph-start-all-'));
});

after(async () => {
  const mongo = new MongoClient(services.MONGO_URL);
  await mongo.db(iso.mongoDb).dropDatabase();
  await mongo.close();
  const conn = await amqp.connect(services.AMQP_URL);
  const channel = await conn.createChannel();
  for (const q of allQueues(queueNames(`tonegraph.${iso.tag}`, iso.queue('scan-requests'))))
    await channel.deleteQueue(q).catch(() => undefined);
  await conn.close();
  await db.drop();
  await rm(library, { recursive: true, force: true });
});

interface Run {
  readonly lines: string[];
  /** Resolves with the first line matching `pattern`, or rejects when the process exits first. */
  line(pattern: RegExp): Promise<RegExpExecArray>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, [startAll], {
    env: {
      ...process.env,
      ...services,
      DATABASE_URL: db.url,
      MONGO_DB: iso.mongoDb,
      REDIS_PREFIX: iso.redisPrefix,
      SCAN_QUEUE: iso.queue('scan-requests'),
      QUEUE_PREFIX: `tonegraph.${iso.tag}`,
      LIBRARY_ALLOWED_ROOTS: library,
      INGEST_WATCH_MODE: 'off',
      ANALYSIS_THREADS: '1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (buffered + chunk).split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const wake of waiters) wake();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    lines,
    exit,
    kill: (signal) => child.kill(signal),
    line(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const l of lines) {
            const m = pattern.exec(l);
            if (m) {
              waiters.delete(check);
              return resolve(m);
            }
          }
        };
        waiters.add(check);
        check();
        // Only keeps a broken run from hanging the file; not a timing target.
        setTimeout(() => {
          if (waiters.delete(check)) reject(new Error(`no ${pattern} yet:\n${lines.slice(-40).join('\n')}`));
        }, 240_000).unref();
        void exit.then(() => {
          check();
          reject(new Error(`start-all exited before printing ${pattern}:\n${lines.slice(-40).join('\n')}`));
        });
      });
    },
  };
}

async function libraries(base: number): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ libraries { id } }' }),
  });
  return res.json();
}

test('a subgraph killed with SIGKILL is restarted and the gateway answers through it again; SIGTERM stops all in reverse order', async () => {
  const base = await freePortBase([0, 1, 2, 3, 5, 10]);
  const platform = run({ START_PORT_BASE: String(base), START_RESTART_DELAY_MS: '200' });
  try {
    await platform.line(
      /^start: ready in \d+\.\ds: analysis, catalog, library-graph, subsonic, gateway, ingest; GraphQL on /,
    );
    assert.deepEqual(await libraries(base), { data: { libraries: [] } });
    // The gateway proxies /rest/ to the Subsonic service: an unknown user is its error 40.
    const rest = await fetch(`http://127.0.0.1:${base}/rest/ping.view?u=nobody&p=x&f=json`);
    const ping = (await rest.json()) as { 'subsonic-response': { status: string; error?: { code: number } } };
    assert.deepEqual(
      [ping['subsonic-response'].status, ping['subsonic-response'].error?.code],
      ['failed', 40],
    );
    const [, pid] = await platform.line(/^start: catalog started \(pid (\d+)\)$/);

    process.kill(Number(pid), 'SIGKILL');
    await platform.line(/^start: catalog exited unexpectedly \(signal SIGKILL\) after /);
    await platform.line(/^start: restarting catalog in 0\.2s \(failure 1 of 5 allowed within 60\.0s\)$/);
    const [, again] = await platform.line(/^start: catalog is ready again \(pid (\d+), start 2\)$/);
    assert.notEqual(again, pid);
    assert.deepEqual(await libraries(base), { data: { libraries: [] } });
  } finally {
    platform.kill('SIGTERM');
  }
  assert.deepEqual(await platform.exit, { code: 0, signal: null });
  const stopped = platform.lines.flatMap((l) => /^start: (\S+) stopped \(/.exec(l)?.[1] ?? []);
  assert.deepEqual(stopped, ['ingest', 'gateway', 'subsonic', 'library-graph', 'catalog', 'analysis']);
  assert.equal(platform.lines.at(-1), 'start: every service is stopped');
});

test('a service that fails on every start makes npm start give up after the configured attempts, saying why', async () => {
  const base = await freePortBase([0, 1, 2, 3, 5, 10]);
  // Only the gateway reads this, and refuses to start with it.
  const platform = run({
    START_PORT_BASE: String(base),
    START_MAX_FAILURES: '2',
    START_RESTART_DELAY_MS: '100',
    GATEWAY_MAX_DEPTH: 'deep',
  });
  const { code } = await platform.exit;
  assert.equal(code, 1, platform.lines.join('\n'));
  const log = platform.lines.join('\n');
  assert.match(log, /^start: gateway exited unexpectedly \(code 1\) after /m);
  assert.match(log, /^ {2}gateway +\| .*GATEWAY_MAX_DEPTH/m, 'the last lines show the reason');
  assert.match(
    log,
    /^start: giving up: gateway failed 2 times within 60\.0s \(last: code 1\); stopping the other services$/m,
  );
  assert.equal(platform.lines.filter((l) => l.startsWith('start: gateway started')).length, 2);
  assert.equal(platform.lines.at(-1), 'start: gave up: gateway failed 2 times; every service is stopped');
  assert.doesNotMatch(log, /^start: ready in /m);
});
