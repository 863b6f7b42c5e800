import { execFile } from 'node:child_process';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { buildOnce, hashSources } from './build-cache.ts';
import { repoRoot } from './config.ts';
import { exists, which } from './fs-util.ts';
import { run, StackError } from './proc.ts';

const execFileAsync = promisify(execFile);

/**
 * tonegraph-decoder, the analysis workers' long-lived decoding process
 * (packages/audio-analysis/native): compiled against Debian's FFmpeg
 * libraries to where the workers look for it by default.
 */
const source = path.join(repoRoot, 'packages', 'audio-analysis', 'native');
const binary = path.join(source, 'build', 'tonegraph-decoder');
const LIBRARIES = ['libavformat', 'libavcodec', 'libswresample', 'libavutil'];

/** What Debian needs to build it: the libraries' headers, pkg-config and a C compiler. */
export async function decoderBuildPackages(): Promise<string[]> {
  const missing: string[] = [];
  if (!(await which('gcc'))) missing.push('gcc', 'libc6-dev');
  if (!(await which('pkg-config'))) missing.push('pkg-config');
  else {
    const found = await execFileAsync('pkg-config', ['--exists', ...LIBRARIES]).then(
      () => true,
      () => false,
    );
    if (found) return missing;
  }
  return [...missing, ...LIBRARIES.map((l) => `${l}-dev`)];
}

/** Compiles the decoder unless the binary is newer than its source; returns true when it built. */
export async function buildDecoder(): Promise<boolean> {
  const hash = await hashSources(source, (f) => f === 'tonegraph-decoder.c');
  return buildOnce(
    path.join(source, 'build', 'tonegraph-decoder.stamp'),
    hash,
    () => exists(binary),
    async () => {
      const missing = await decoderBuildPackages();
      if (missing.length > 0) {
        throw new StackError(
          `cannot build tonegraph-decoder: missing ${missing.join(' ')} (Debian: apt-get install ${missing.join(' ')})`,
        );
      }
      const flags = (await run('pkg-config', ['--cflags', '--libs', ...LIBRARIES])).trim().split(/\s+/);
      await mkdir(path.dirname(binary), { recursive: true });
      // Built aside and renamed: a worker starting the old binary never sees half a file.
      const partial = `${binary}.partial`;
      try {
        await run('gcc', [
          '-O2',
          '-Wall',
          '-Wextra',
          '-Werror',
          '-o',
          partial,
          path.join(source, 'tonegraph-decoder.c'),
          ...flags.filter(Boolean),
        ]);
        await rename(partial, binary);
      } finally {
        await rm(partial, { force: true });
      }
    },
    "tonegraph-decoder (C over FFmpeg's libraries)",
  );
}
