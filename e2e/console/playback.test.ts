// The console's player in a real browser (Debian's Chromium through
// playwright-core) against the whole platform: the fixture set (one track
// per format, 40 s each) imported, a track played from the list (the audio
// element's currentTime advances), its waveform clicked to seek, a format
// Chromium cannot play (AIFF) played through the Opus transcode, space as
// play/pause, seeking in a transcode, and the message when every transcode
// slot is taken.
// Screenshots: e2e/results/console/playback-*.png.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { generateFixtures } from '@tonegraph/fixtures';
import { eventually } from '@tonegraph/testing';
import { findChromium, noChromium, requireConsoleBuild } from '../support/chromium.ts';
import { gql } from '../support/graphql.ts';
import { importLibrary } from '../support/library-import.ts';
import { startPlatform, type Platform } from '../support/platform.ts';
import { repoRoot } from '../support/proc.ts';

const resultsDir = path.join(repoRoot, 'e2e', 'results', 'console');
const SECONDS = 40;
const FLAC = 'Fixture FLAC 1';
const AIFF = 'Fixture AIFF 7';
/** Ten minutes of noise: a transcode of it outlasts every buffer between ffmpeg and a client that does not read. */
const LONG = 'Long noise';

const executablePath = await findChromium();
const skip = noChromium(executablePath);

let root: string;
let platform: Platform;
let origin: string;
let browser: Browser;
let page: Page;

const shot = (name: string) =>
  page.screenshot({ path: path.join(resultsDir, `playback-${name}.png`), fullPage: true });

/** The shared audio element's state, read in the page. */
const audioState = () =>
  page.locator('#player audio').evaluate((el) => {
    const a = el as HTMLAudioElement;
    return { currentTime: a.currentTime, paused: a.paused, src: a.currentSrc || a.src, error: a.error?.code };
  });

/** Waits until the audio element's currentTime passes `seconds` (or its error fails the test). */
async function playedPast(seconds: number, timeout = 60_000): Promise<number> {
  const handle = await page.waitForFunction(
    (s) => {
      const a = document.querySelector<HTMLAudioElement>('#player audio');
      if (a?.error) throw new Error(`media error ${a.error.code}: ${a.error.message}`);
      return a && a.currentTime > s ? a.currentTime : false;
    },
    seconds,
    { timeout, polling: 100 },
  );
  return (await handle.jsonValue()) as number;
}

/** Waits until the audio element's source matches `pattern` (a new source starts at 0). */
const sourceMatches = (pattern: RegExp) =>
  page.waitForFunction(
    ([source, flags]) =>
      new RegExp(source, flags).test(document.querySelector<HTMLAudioElement>('#player audio')?.src ?? ''),
    [pattern.source, pattern.flags] as const,
  );

before(
  async () => {
    if (skip) return;
    await mkdir(resultsDir, { recursive: true });
    await requireConsoleBuild();
    root = await mkdtemp(path.join(tmpdir(), 'tonegraph-playback-'));
    await generateFixtures(path.join(root, 'music'), { durationSeconds: SECONDS });
    await mkdir(path.join(root, 'music', 'Long'));
    await promisify(execFile)('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=600:c=pink:r=44100'],
      ...['-ac', '2', '-c:a', 'libmp3lame', '-b:a', '64k', '-metadata', `title=${LONG}`],
      path.join(root, 'music', 'Long', 'long-noise.mp3'),
    ]);
    platform = await startPlatform({
      allowedRoot: root,
      logDir: path.join(resultsDir, 'logs-playback'),
      env: {
        TONEGRAPH_ENV: 'development',
        SUBGRAPH_TIMEOUT_MS: '25000',
        ANALYSIS_THREADS: '1',
        ANALYSIS_CONCURRENCY: '2',
        STREAM_SECRET: randomBytes(24).toString('hex'),
        // One slot: the last test takes it to see the page's "busy" message.
        STREAM_MAX_TRANSCODES: '1',
      },
    });
    origin = new URL(platform.gateways[0]!.url).origin;
    const imported = await importLibrary(platform.gateways[0]!.url, path.join(root, 'music'), 'Playback');
    assert.ok(imported.processed >= 8, JSON.stringify(imported));
    // A click is a user gesture, which Chromium's autoplay policy asks for: no flag needed.
    browser = await chromium.launch({ executablePath: executablePath!, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${origin}/console/`);
    await page.getByRole('heading', { name: 'Tonegraph console', level: 1 }).waitFor();
  },
  { timeout: 600_000 },
);

after(
  async () => {
    await browser?.close();
    await platform?.close();
    if (root) await rm(root, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

/** The track list, the player bar and a track's detail: regions of the page. */
const list = () => page.getByRole('region', { name: 'Tracks' });
const player = () => page.getByRole('region', { name: 'Player' });
const detail = (title: string) => page.getByRole('region', { name: title });

async function search(text: string) {
  await page.getByLabel('Search tracks').fill(text);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page
    .getByRole('table', { name: /Tracks matching/ })
    .waitFor()
    .catch(async (error: unknown) => {
      // What the list showed instead: its caption, status line and alert.
      const shown = await list()
        .locator('caption, [role=status], [role=alert]')
        .allInnerTexts()
        .catch(() => []);
      throw new Error(`no search result for “${text}”; the list shows ${JSON.stringify(shown)}`, {
        cause: error,
      });
    });
}

test(
  'play from the track list: the audio element plays the original',
  { skip, timeout: 120_000 },
  async () => {
    await search(FLAC);
    await list()
      .getByRole('button', { name: `Play ${FLAC}`, exact: true })
      .click();
    await player().getByText(FLAC, { exact: true }).waitFor();
    const first = await playedPast(0.5);
    const later = await playedPast(first + 1);
    assert.ok(later > first, `currentTime advances (${first} → ${later})`);
    const state = await audioState();
    assert.equal(state.paused, false);
    assert.match(state.src, /\/stream\/[0-9a-f-]{36}\?/, 'a signed stream URL of the gateway');
    assert.match(state.src, /format=raw/, 'Chromium plays FLAC: the original is asked for');
    // The list's button now pauses.
    await list()
      .getByRole('button', { name: `Pause ${FLAC}`, exact: true })
      .waitFor();
    await player()
      .getByRole('button', { name: `Pause ${FLAC}` })
      .waitFor();
    await shot('01-playing');
  },
);

test(
  'the track’s waveform is its progress bar: a click seeks there',
  { skip, timeout: 120_000 },
  async () => {
    await list().getByRole('button', { name: FLAC, exact: true }).click();
    const canvas = detail(FLAC).getByRole('img', { name: `Waveform of ${FLAC}` });
    await canvas.waitFor();
    const box = (await canvas.boundingBox())!;
    const before = (await audioState()).currentTime;
    assert.ok(before < SECONDS * 0.5, `still early in the track (${before} s)`);
    await canvas.click({ position: { x: box.width * 0.75, y: box.height / 2 } });
    const after = await playedPast(SECONDS * 0.7, 10_000);
    assert.ok(
      Math.abs(after - SECONDS * 0.75) < 3,
      `currentTime jumped to about 75 % of ${SECONDS} s (${before} → ${after})`,
    );
    assert.equal((await audioState()).paused, false);
    // The played part is drawn in its own colour (#d9480f), about three quarters of the width.
    const played = await canvas.evaluate((el) => {
      const c = el as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let minX = c.width;
      let maxX = -1;
      for (let i = 0; i < data.length; i += 4)
        if (data[i]! > 180 && data[i + 1]! < 120 && data[i + 2]! < 60) {
          const x = (i / 4) % c.width;
          minX = Math.min(minX, x);
          maxX = Math.max(maxX, x);
        }
      return { minX, maxX, width: c.width };
    });
    assert.ok(played.minX <= 2, `played part starts at the left (${JSON.stringify(played)})`);
    const upTo = played.maxX / played.width;
    assert.ok(upTo > 0.7 && upTo < 0.9, `played part ends near 75 % (${upTo.toFixed(2)})`);
    await shot('02-seeked');
  },
);

test('space pauses and resumes', { skip, timeout: 60_000 }, async () => {
  await page.getByRole('heading', { name: FLAC, level: 2 }).click(); // focus off any button
  await page.keyboard.press(' ');
  await page.waitForFunction(() => document.querySelector<HTMLAudioElement>('#player audio')?.paused);
  const at = (await audioState()).currentTime;
  await page.keyboard.press(' ');
  await playedPast(at + 0.5, 10_000);
});

test('a format the browser cannot play streams as Opus', { skip, timeout: 120_000 }, async () => {
  const canPlay = await page.evaluate(() => document.createElement('audio').canPlayType('audio/aiff'));
  assert.equal(canPlay, '', 'this Chromium does not play AIFF (the case the fallback is for)');
  await search(AIFF);
  await list()
    .getByRole('button', { name: `Play ${AIFF}`, exact: true })
    .click();
  await player().getByText(AIFF, { exact: true }).waitFor();
  // The FLAC's time stays until the new source is set.
  await sourceMatches(/format=opus/);
  const first = await playedPast(0.5);
  await playedPast(first + 1);
  await shot('03-transcode');

  // A transcode has no byte ranges: a click on its waveform asks for a new stream from there.
  await list().getByRole('button', { name: AIFF, exact: true }).click();
  const canvas = detail(AIFF).getByRole('img', { name: `Waveform of ${AIFF}` });
  await canvas.waitFor();
  const box = (await canvas.boundingBox())!;
  await canvas.click({ position: { x: box.width * 0.5, y: box.height / 2 } });
  await page.waitForFunction(() =>
    /[?&]timeOffset=\d/.test(document.querySelector<HTMLAudioElement>('#player audio')!.src),
  );
  const offset = Number(new URL((await audioState()).src).searchParams.get('timeOffset'));
  assert.ok(Math.abs(offset - SECONDS * 0.5) < 1.5, `the stream starts near 50 % (${offset} s)`);
  await playedPast(0.5, 30_000); // the new stream plays, its own time from 0
  const time = await player().locator('.player-time').innerText();
  const shown = /^(\d+):(\d\d) \//.exec(time);
  assert.ok(shown, time);
  assert.ok(
    Number(shown[1]) * 60 + Number(shown[2]) >= offset,
    `the player shows the track's time (${time})`,
  );
});

test('every transcode slot taken: the page says the server is busy', { skip, timeout: 120_000 }, async () => {
  // Back to the original, so that pressing AIFF again asks for a new stream.
  await search(FLAC);
  await list()
    .getByRole('button', { name: `Play ${FLAC}`, exact: true })
    .click();
  await sourceMatches(/format=raw/);
  await playedPast(0.5);
  // Hold the only transcode slot: a long transcode that nobody reads (ffmpeg blocks on its full pipe).
  const { tracks } = await gql<{ tracks: { edges: { node: { title: string; streamUrl: string } }[] } }>(
    platform.gateways[0]!.url,
    `{ tracks(first: 50) { edges { node { title streamUrl(format: OPUS, maxBitRate: 256) } } } }`,
  );
  const long = tracks.edges.find((e) => e.node.title === LONG)!.node;
  const held = new AbortController();
  // The response that holds the slot stays referenced until the end: undici cancels the body of a
  // response that is garbage-collected unread, which would end the transcode and free the slot.
  let holding: Response | undefined;
  // The page's last transcode (given up when it switched to the FLAC) may take a moment to end.
  await eventually(
    async () => {
      const res = await fetch(new URL(long.streamUrl, origin), { signal: held.signal });
      if (res.status === 200) {
        holding = res;
        return true;
      }
      await res.body?.cancel();
      return false;
    },
    { timeoutMs: 10_000, intervalMs: 200, what: 'the only transcode slot, free' },
  );
  try {
    await search(AIFF);
    await list()
      .getByRole('button', { name: `Play ${AIFF}`, exact: true })
      .click();
    await player()
      .getByRole('alert')
      .filter({ hasText: /busy/ })
      .waitFor({ timeout: 30_000 })
      .catch(async (error: unknown) => {
        // What the player said instead, and whether the held transcode still holds the slot.
        const shown = await player().textContent();
        const probe = await fetch(new URL(long.streamUrl, origin), { headers: { range: 'bytes=0-0' } });
        await probe.body?.cancel();
        throw new Error(
          `no busy alert; the player shows "${shown}"; a new transcode now gets ${probe.status}`,
          {
            cause: error,
          },
        );
      });
    await shot('04-busy');
  } finally {
    held.abort();
    await holding?.body?.cancel().catch(() => undefined);
  }
});
