// What `npm start`'s supervisor (src/supervisor/supervisor.ts) guarantees,
// with small stand-in services (fixtures/supervised/service.ts) instead of
// the platform: a killed service is restarted and answers again; one that
// fails on every start makes it give up after the configured attempts and
// stop the others; stopping goes in reverse order; kill() ends a service
// that ignores SIGTERM.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { eventually, freePort } from '@tonegraph/testing';
import { startSupervisor, type ServiceSpec } from '../src/supervisor/supervisor.ts';

const fixture = path.join(import.meta.dirname, 'fixtures', 'supervised', 'service.ts');
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-supervisor-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function service(name: string, mode: 'listen' | 'crash' | 'stubborn'): Promise<ServiceSpec> {
  const port = await freePort();
  return {
    name,
    args: [fixture],
    env: { ...process.env, MODE: mode, PORT: String(port), STARTS_FILE: path.join(dir, `${name}.starts`) },
    readyUrl: `http://127.0.0.1:${port}/`,
  };
}

const starts = async (name: string) =>
  (await readFile(path.join(dir, `${name}.starts`), 'utf8')).trim().split('\n');

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a service killed with SIGKILL is restarted, its exit and last lines printed, and answers again', async () => {
  const alpha = await service('alpha', 'listen');
  const beta = await service('beta', 'listen');
  const lines: string[] = [];
  const supervisor = startSupervisor({
    services: [alpha, beta],
    policy: { initialDelayMs: 50 },
    write: (line) => lines.push(line),
  });
  try {
    assert.equal(await supervisor.ready, true);
    const first = supervisor.pid('alpha')!;
    assert.equal(await (await fetch(alpha.readyUrl!)).text(), String(first));

    process.kill(first, 'SIGKILL');
    await eventually(
      async () => {
        const body = await fetch(alpha.readyUrl!).then(
          (r) => r.text(),
          () => '',
        );
        return body !== '' && body !== String(first);
      },
      { what: 'alpha answers from a new process', timeoutMs: 60_000 },
    );

    assert.equal(supervisor.starts('alpha'), 2);
    assert.equal(supervisor.starts('beta'), 1, 'the other service kept running');
    assert.deepEqual((await starts('alpha')).length, 2);
    const exited = lines.findIndex((l) => l.startsWith('start: alpha exited unexpectedly (signal SIGKILL)'));
    assert.notEqual(exited, -1, lines.join('\n'));
    assert.match(lines[exited + 1]!, new RegExp(`^  alpha +\\| listening on \\d+ as ${first}$`));
    assert.ok(lines.some((l) => /^start: restarting alpha in 0\.1s \(failure 1 of 5/.test(l)));
    await eventually(() => lines.some((l) => l.startsWith('start: alpha is ready again')), {
      what: 'the restart is reported ready',
      timeoutMs: 60_000,
    });
  } finally {
    assert.deepEqual(await supervisor.stop(), { kind: 'stopped' });
  }
  const stopped = lines.filter((l) => / stopped \(/.test(l));
  assert.deepEqual(
    stopped,
    ['start: beta stopped (code 0)', 'start: alpha stopped (code 0)'],
    'reverse order',
  );
  assert.deepEqual(await supervisor.done, { kind: 'stopped' });
});

test('a service that exits at once on every start makes the supervisor give up after the configured attempts and stop the others', async () => {
  const steady = await service('steady', 'listen');
  const broken = await service('broken', 'crash');
  const lines: string[] = [];
  const supervisor = startSupervisor({
    services: [steady, broken],
    policy: { maxFailures: 3, windowMs: 60_000, initialDelayMs: 20 },
    write: (line) => lines.push(line),
  });
  const steadyPid = supervisor.pid('steady')!;
  const outcome = await supervisor.done;

  assert.equal(outcome.kind, 'gave-up');
  assert.equal(outcome.kind === 'gave-up' && outcome.service, 'broken');
  assert.equal(outcome.kind === 'gave-up' && outcome.failures, 3);
  assert.equal((await starts('broken')).length, 3, 'started exactly the configured number of times');
  assert.ok(
    lines.includes(
      'start: giving up: broken failed 3 times within 60.0s (last: code 3); stopping the other services',
    ),
    lines.join('\n'),
  );
  assert.ok(lines.includes('  broken        | cannot reach the catalog database: connection refused'));
  assert.equal(await supervisor.ready, false);
  assert.equal(isRunning(steadyPid), false, 'the steady service was stopped');
  assert.ok(lines.some((l) => l.startsWith('start: steady stopped (')));
});

test('stop() is idempotent, and kill() ends a service that ignores SIGTERM', async () => {
  const stubborn = await service('stubborn', 'stubborn');
  const lines: string[] = [];
  const supervisor = startSupervisor({ services: [stubborn], write: (line) => lines.push(line) });
  assert.equal(await supervisor.ready, true);
  const pid = supervisor.pid('stubborn')!;
  const stopping = supervisor.stop();
  assert.equal(supervisor.stop(), stopping);
  await eventually(() => lines.some((l) => l.endsWith('| ignoring SIGTERM')), {
    what: 'the service saw SIGTERM',
    timeoutMs: 60_000,
  });
  assert.equal(isRunning(pid), true);

  supervisor.kill();
  assert.deepEqual(await stopping, { kind: 'stopped' });
  assert.equal(isRunning(pid), false);
  assert.ok(lines.includes('start: stubborn stopped (signal SIGKILL)'));
});
