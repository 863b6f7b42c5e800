import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { step } from './progress.ts';

/** A sha256 over the paths and contents of the files under `dir` that `include` accepts. */
export async function hashSources(dir: string, include: (rel: string) => boolean): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .filter(include)
    .sort();
  const hash = createHash('sha256');
  for (const rel of files) {
    hash
      .update(rel)
      .update('\0')
      .update(await readFile(path.join(dir, rel)))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Runs `build` unless the stamp file records the same source hash and
 * `isBuilt` says the output exists. Returns true when it built. `what`
 * names the build in the progress lines (`building <what> …`, `built <what> in 41.2s`).
 */
export async function buildOnce(
  stampFile: string,
  sourceHash: string,
  isBuilt: () => Promise<boolean>,
  build: () => Promise<void>,
  what?: string,
): Promise<boolean> {
  const stamp = await readFile(stampFile, 'utf8').catch(() => '');
  if (stamp.trim() === sourceHash && (await isBuilt())) return false;
  if (what) await step(`building ${what}`, `built ${what}`, build);
  else await build();
  await mkdir(path.dirname(stampFile), { recursive: true });
  await writeFile(stampFile, `${sourceHash}\n`);
  return true;
}
