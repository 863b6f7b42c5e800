// The bootstrap of `npm start` and `npm test` (src/bootstrap/install-deps.js):
// it installs when node_modules is missing, reinstalls when package-lock.json
// changed, and does nothing when npm's record of the install matches — as
// after CI's `npm ci` of this checkout. The process tests use a tiny project
// whose one dependency is a local folder, so npm needs no network.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { installState, isExpected, type InstallState, type Machine } from '../src/bootstrap/install-deps.js';
import { repoRoot } from '../src/config.ts';

const execFileAsync = promisify(execFile);
const script = path.join(import.meta.dirname, '..', 'src', 'bootstrap', 'install-deps.js');
const linux: Machine = { os: 'linux', cpu: 'x64', libc: 'glibc' };
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tonegraph-bootstrap-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const writeJson = (file: string, value: unknown) => writeFile(file, `${JSON.stringify(value, null, 2)}\n`);

/** A project depending on ./tiny-dep at `version`, with the lockfile npm writes for it. */
async function tinyProject(root: string, version: string, engines?: Record<string, string>): Promise<void> {
  await mkdir(path.join(root, 'tiny-dep'), { recursive: true });
  await writeJson(path.join(root, 'tiny-dep', 'package.json'), {
    name: 'tiny-dep',
    version,
    ...(engines ? { engines } : {}),
  });
  const manifest = {
    name: 'tiny-app',
    version: '1.0.0',
    private: true,
    dependencies: { 'tiny-dep': 'file:./tiny-dep' },
  };
  await writeJson(path.join(root, 'package.json'), manifest);
  await writeJson(path.join(root, 'package-lock.json'), {
    name: 'tiny-app',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'tiny-app', version: '1.0.0', dependencies: { 'tiny-dep': 'file:./tiny-dep' } },
      'node_modules/tiny-dep': { resolved: 'tiny-dep', link: true },
      'tiny-dep': { version, ...(engines ? { engines } : {}) },
    },
  });
}

async function bootstrap(root: string): Promise<string> {
  const { stderr } = await execFileAsync(process.execPath, [script, root]);
  return stderr;
}

/** What the bootstrap and the npm it runs print, both streams. */
async function bootstrapOutput(root: string): Promise<string> {
  const { stdout, stderr } = await execFileAsync(process.execPath, [script, root]);
  return stdout + stderr;
}

const reason = (state: InstallState) => (state.upToDate ? 'up to date' : state.reason);

const installedVersion = async (root: string) =>
  (
    JSON.parse(await readFile(path.join(root, 'node_modules', '.package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string }>;
    }
  ).packages['tiny-dep']?.version;

test('from a clone with no node_modules it installs; run again it does nothing', async () => {
  const root = path.join(dir, 'fresh');
  await tinyProject(root, '1.0.0');
  assert.deepEqual(await installState(root, linux), { upToDate: false, reason: 'node_modules is missing' });

  assert.match(
    await bootstrap(root),
    /^bootstrap: node_modules is missing; installing the npm dependencies \(npm ci, about 1–2 minutes once\)$/m,
  );
  assert.equal(await installedVersion(root), '1.0.0');
  assert.deepEqual(await installState(root, linux), { upToDate: true });

  const before = (await stat(path.join(root, 'node_modules', '.package-lock.json'))).mtimeMs;
  assert.equal(await bootstrap(root), '', 'nothing to say, nothing done');
  assert.equal((await stat(path.join(root, 'node_modules', '.package-lock.json'))).mtimeMs, before);
});

test('npm shows only errors: a package asking for a newer Node than the one running the install adds no warning', async () => {
  const root = path.join(dir, 'engines');
  await tinyProject(root, '1.0.0', { node: '>=999' });
  const output = await bootstrapOutput(root);
  assert.equal(await installedVersion(root), '1.0.0');
  assert.doesNotMatch(output, /EBADENGINE|npm warn/);
  assert.match(output, /^bootstrap: npm dependencies installed in [\d.]+s$/m);
});

test('with a stale node_modules (the lockfile changed) it reinstalls', async () => {
  const root = path.join(dir, 'stale');
  await tinyProject(root, '1.0.0');
  await bootstrap(root);
  await tinyProject(root, '1.1.0');
  assert.deepEqual(await installState(root, linux), {
    upToDate: false,
    reason: 'node_modules does not match package-lock.json (tiny-dep differs)',
  });

  assert.match(await bootstrap(root), /does not match package-lock\.json \(tiny-dep differs\); installing/);
  assert.equal(await installedVersion(root), '1.1.0');
  assert.deepEqual(await installState(root, linux), { upToDate: true });
});

test('a package added to the lockfile, or removed from it, makes node_modules stale', async () => {
  const root = path.join(dir, 'changed');
  await tinyProject(root, '1.0.0');
  await bootstrap(root);
  const lockFile = path.join(root, 'package-lock.json');
  const lock = JSON.parse(await readFile(lockFile, 'utf8')) as { packages: Record<string, unknown> };
  await writeJson(lockFile, {
    ...lock,
    packages: { ...lock.packages, 'node_modules/left-pad': { version: '1.3.0' } },
  });
  assert.match(reason(await installState(root, linux)), /left-pad is missing/);
  const { 'node_modules/tiny-dep': _link, 'tiny-dep': _dep, ...rest } = lock.packages;
  await writeJson(lockFile, { ...lock, packages: rest });
  assert.match(reason(await installState(root, linux)), /tiny-dep is no longer in it/);
});

test("another platform's optional binaries are not expected; this platform's are", () => {
  assert.equal(isExpected({ version: '1.0.0' }, linux), true);
  assert.equal(isExpected({ optional: true, os: ['darwin'], cpu: ['arm64'] }, linux), false);
  assert.equal(isExpected({ optional: true, os: ['linux'], cpu: ['x64'], libc: ['musl'] }, linux), false);
  assert.equal(isExpected({ optional: true, os: ['linux'], cpu: ['x64'], libc: ['glibc'] }, linux), true);
  assert.equal(isExpected({ optional: true, os: ['!win32'] }, linux), true);
  // An optional dependency of such a binary names no platform: npm skips it with its parent.
  assert.equal(isExpected({ optional: true }, linux), false);
});

test('this checkout, installed with npm ci as CI does, counts as up to date', async () => {
  assert.deepEqual(await installState(repoRoot), { upToDate: true });
});
