// Debian's Chromium for the browser tests (driven by playwright-core; no browser download).
import { access } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './proc.ts';

/** CHROMIUM_PATH, /usr/bin/chromium or /usr/bin/chromium-browser: the first that exists. */
export async function findChromium(): Promise<string | undefined> {
  for (const candidate of [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (
      candidate &&
      (await access(candidate).then(
        () => true,
        () => false,
      ))
    )
      return candidate;
  }
  return undefined;
}

/** Why a browser test is skipped, or false when Chromium was found. */
export const noChromium = (executablePath: string | undefined): string | false =>
  executablePath
    ? false
    : 'Chromium not found at /usr/bin/chromium or CHROMIUM_PATH (`npm run stack -- up` installs Debian’s chromium)';

/** Throws unless the console is built (the gateway serves console/dist). */
export async function requireConsoleBuild(): Promise<void> {
  await access(path.join(repoRoot, 'console', 'dist', 'index.html')).catch(() => {
    throw new Error('console/dist is missing: run `npm run build -w console` (npm test does it in pretest)');
  });
}
