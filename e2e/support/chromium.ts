// Debian's Chromium for the browser tests (driven by playwright-core; no browser download).
import { access } from 'node:fs/promises';

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
