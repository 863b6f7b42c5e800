// The first step of `npm start` and `npm test` (their pre-scripts): installs
// the npm dependencies when node_modules is missing or does not match
// package-lock.json, so that a fresh clone needs no `npm ci` first. It runs
// on the machine's own Node (≥ 20) before anything installed exists, hence
// plain JavaScript with no dependencies.
//
//   node tools/stack/src/bootstrap/install-deps.js [project folder]
//
// "Matches" means npm's own record of what it installed,
// node_modules/.package-lock.json, agrees with package-lock.json on every
// package: so after CI's `npm ci` (or any install) this does nothing.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Whether a lockfile entry's os/cpu/libc lists accept this machine ("!x" excludes x). */
function accepts(list, value) {
  if (!Array.isArray(list) || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  return list.some((v) => v === value) || list.every((v) => v.startsWith('!'));
}

function machine() {
  const glibc = process.report?.getReport?.().header?.glibcVersionRuntime;
  return { os: process.platform, cpu: process.arch, libc: glibc ? 'glibc' : 'musl' };
}

/**
 * Whether npm would install an entry of package-lock.json here: every
 * required one; an optional one only when it names this platform (npm skips
 * the other platforms' binaries, and the optional dependencies of those).
 */
export function isExpected(entry, on = machine()) {
  if (!entry.optional) return true;
  if (!entry.os && !entry.cpu) return false;
  return accepts(entry.os, on.os) && accepts(entry.cpu, on.cpu) && accepts(entry.libc, on.libc);
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Compares package-lock.json with what npm recorded in node_modules. Resolves
 * to `{ upToDate: true }` or `{ upToDate: false, reason }`.
 */
export async function installState(root, on = machine()) {
  const read = (file) =>
    readFile(path.join(root, file), 'utf8').then(
      (text) => JSON.parse(text),
      (error) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      },
    );
  const lock = await read('package-lock.json');
  const installed = await read(path.join('node_modules', '.package-lock.json'));
  if (!installed) return { upToDate: false, reason: 'node_modules is missing' };
  if (!lock) return { upToDate: true };
  const wanted = lock.packages ?? {};
  const have = installed.packages ?? {};
  for (const [key, entry] of Object.entries(have)) {
    if (!same(wanted[key], entry)) {
      const detail = wanted[key] ? `${key} differs` : `${key} is no longer in it`;
      return { upToDate: false, reason: `node_modules does not match package-lock.json (${detail})` };
    }
  }
  for (const [key, entry] of Object.entries(wanted)) {
    if (key !== '' && !(key in have) && isExpected(entry, on)) {
      return { upToDate: false, reason: `node_modules does not match package-lock.json (${key} is missing)` };
    }
  }
  return { upToDate: true };
}

/**
 * Runs `npm ci` in `root` with the npm that runs this script (npm sets
 * npm_execpath), else npm on PATH. Only npm's errors are shown: on the
 * machine's older Node, npm warns once per package whose `engines` asks for
 * a newer one (over a hundred lines on a first start), though everything
 * then runs on the Node that the `node` devDependency installs.
 */
function npmCi(root) {
  const execPath = process.env.npm_execpath;
  const [cmd, args] = execPath?.endsWith('.js') ? [process.execPath, [execPath]] : ['npm', []];
  return new Promise((resolve, reject) => {
    const flags = ['ci', '--no-audit', '--no-fund', '--loglevel=error'];
    const child = spawn(cmd, [...args, ...flags], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`npm ci exited with ${signal ?? code}`)),
    );
  });
}

async function main() {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(process.argv[2] ?? path.join(here, '..', '..', '..', '..'));
  const state = await installState(root);
  if (state.upToDate) return;
  const started = Date.now();
  process.stderr.write(
    `bootstrap: ${state.reason}; installing the npm dependencies (npm ci, about 1–2 minutes once)\n`,
  );
  await npmCi(root);
  const after = await installState(root);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!after.upToDate) throw new Error(`after npm ci, ${after.reason}`);
  process.stderr.write(`bootstrap: npm dependencies installed in ${seconds}s\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`bootstrap: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
