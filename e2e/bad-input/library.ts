// The bad files of the scenario, written to disk next to good ones: the
// fixture set's broken files plus what a real library also holds (huge tags,
// very long paths, links, FIFOs, a two-hour recording, a folder of 10,000
// entries). Each case says what the import must make of it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, link, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateLibrary } from '@tonegraph/fixtures/library';

const run = promisify(execFile);

/** The catalog's longest path (ingest's MAX_PATH_BYTES). */
export const MAX_PATH_BYTES = 2048;

/** One ImportError as the catalog reports it. */
export interface ReportedError {
  readonly path: string;
  readonly stage: string;
  readonly reason: string;
}

/** What one file (or folder) on disk must become. */
export interface FileCase {
  readonly name: string;
  readonly path: string;
  /** `imported`: one track; `error`: one ImportError and no track; `skipped`: neither. */
  readonly expect: 'imported' | 'error' | 'skipped';
  /** For `error`: the stage and reason the user is told. */
  readonly stage?: RegExp;
  readonly reason?: RegExp;
  /** For `error`: the reason in words, for the summary. */
  readonly says?: string;
  /** Finds its ImportError; default: the same path. */
  readonly matches?: (e: ReportedError) => boolean;
  /** For `imported`: the title the track must carry. */
  readonly title?: string;
  /** For `imported`: its duration in seconds (±1 %). */
  readonly duration?: number;
}

export interface FilesLibrary {
  readonly dir: string;
  readonly cases: FileCase[];
  /** Every file that must end up in the catalog. */
  readonly good: string[];
  /** A good MP3 of the fixture set, to copy or link elsewhere. */
  readonly mp3: string;
}

async function ffmpeg(args: readonly string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { timeout: 120_000 });
}

/** An MP3 whose ID3v2.3 tag holds a `bytes`-long PRIV frame (a real one, not a lying header). */
async function hugeTagFrame(mp3: string, out: string, bytes: number): Promise<void> {
  const audio = await readFile(mp3);
  const syncsafe = (b: Buffer, at: number) =>
    ((b[at]! & 0x7f) << 21) | ((b[at + 1]! & 0x7f) << 14) | ((b[at + 2]! & 0x7f) << 7) | (b[at + 3]! & 0x7f);
  // Drop the tag ffmpeg wrote; ours replaces it.
  const body =
    audio.subarray(0, 3).toString('latin1') === 'ID3' ? audio.subarray(10 + syncsafe(audio, 6)) : audio;
  const frame = (id: string, payload: Buffer) => {
    const header = Buffer.alloc(10);
    header.write(id, 0, 'latin1');
    header.writeUInt32BE(payload.length, 4);
    return Buffer.concat([header, payload]);
  };
  const text = (s: string) => Buffer.concat([Buffer.from([0]), Buffer.from(s, 'latin1')]);
  const frames = Buffer.concat([
    frame('TIT2', text('Huge Tag Frame')),
    frame('TPE1', text('Tonegraph Ensemble')),
    frame('PRIV', Buffer.concat([Buffer.from('tonegraph.e2e\0', 'latin1'), Buffer.alloc(bytes, 0x5a)])),
  ]);
  const size = frames.length;
  const header = Buffer.from([
    0x49,
    0x44,
    0x33,
    3,
    0,
    0,
    (size >> 21) & 0x7f,
    (size >> 14) & 0x7f,
    (size >> 7) & 0x7f,
    size & 0x7f,
  ]);
  await writeFile(out, Buffer.concat([header, frames, body]));
}

/**
 * A folder chain under `base` whose path reaches `bytes`, with `file` copied
 * to its end. Past PATH_MAX no path can name it, so each level is reached
 * through a short symlink in `shortcuts` (kept outside the library).
 */
async function deepFile(base: string, bytes: number, file: string, name: string, shortcuts: string) {
  let real = base;
  let short = path.join(shortcuts, `${path.basename(base)}-0`);
  await mkdir(real, { recursive: true });
  await mkdir(shortcuts, { recursive: true });
  await symlink(real, short);
  for (let i = 1; Buffer.byteLength(real) < bytes; i++) {
    const dir = `${String(i).padStart(3, '0')}-${randomBytes(60).toString('hex')}`;
    await mkdir(path.join(short, dir));
    real = path.join(real, dir);
    const next = path.join(shortcuts, `${path.basename(base)}-${i}`);
    await symlink(path.join(short, dir), next);
    short = next;
  }
  await copyFile(file, path.join(short, name));
  return path.join(real, name);
}

/** The main library: good files of every format, the fixture set's broken files and the others. */
export async function writeFilesLibrary(dir: string, shortcuts: string): Promise<FilesLibrary> {
  const { files } = await generateLibrary(dir, { files: 7, perAlbum: 7 });
  const templates = path.join(dir, '.templates');
  const fixtures = JSON.parse(await readFile(path.join(templates, 'fixtures.json'), 'utf8')) as {
    tracks: { file: string; ext: string }[];
  };
  const template = (ext: string) => path.join(templates, fixtures.tracks.find((t) => t.ext === ext)!.file);
  const mp3 = template('mp3');
  const good = [...files];
  const cases: FileCase[] = [];
  const at = (...parts: string[]) => path.join(dir, ...parts);

  // The fixture set's broken files, names and all (one name is not valid UTF-8).
  await mkdir(at('Broken'));
  for (const name of await readdir(path.join(templates, 'Broken'), { encoding: 'buffer' }))
    await copyFile(
      Buffer.concat([Buffer.from(`${templates}/Broken/`), name]),
      Buffer.concat([Buffer.from(`${dir}/Broken/`), name]),
    );
  const metadata = /^(metadata|read)$/;
  cases.push(
    {
      name: 'zero-byte file',
      path: at('Broken/zero-byte.flac'),
      expect: 'error',
      stage: metadata,
      reason: /zero-byte\.flac.*(not an audio file|empty)/,
      says: 'not an audio file',
    },
    {
      name: 'truncated file',
      path: at('Broken/truncated.flac'),
      expect: 'error',
      stage: metadata,
      reason: /truncated\.flac.*(truncated|no audio|cannot be parsed)/,
      says: 'truncated',
    },
    {
      name: 'random bytes',
      path: at('Broken/random.mp3'),
      expect: 'error',
      stage: metadata,
      reason: /random\.mp3/,
      says: 'names the file',
    },
    {
      name: 'text with an audio extension',
      path: at('Broken/text.ogg'),
      expect: 'error',
      stage: metadata,
      reason: /text\.ogg/,
      says: 'names the file',
    },
    {
      name: 'wrong extension (MP3 named .flac)',
      path: at('Broken/mp3-named.flac'),
      expect: 'error',
      stage: metadata,
      reason: /contains MP3 audio.*rename it to \.mp3/,
      says: 'contains MP3 audio … rename it to .mp3',
    },
    {
      name: 'ID3 header claiming 250 MB',
      path: at('Broken/oversized-tag.mp3'),
      expect: 'error',
      stage: metadata,
      reason: /ID3v2 tag size \d+ exceeds remaining file size/,
      says: 'ID3v2 tag size exceeds remaining file size',
    },
    {
      name: 'file name not valid UTF-8',
      path: at('Broken/bad-\uFFFD\uFFFD.mp3'),
      expect: 'error',
      stage: /^scan$/,
      reason: /not valid UTF-8/,
      says: 'not valid UTF-8',
    },
  );

  await mkdir(at('Extras'));
  await hugeTagFrame(mp3, at('Extras/huge-tag-frame.mp3'), 24 * 1024 * 1024);
  good.push(at('Extras/huge-tag-frame.mp3'));
  cases.push({
    name: 'huge tag frame (24 MB PRIV)',
    path: at('Extras/huge-tag-frame.mp3'),
    expect: 'imported',
    title: 'Huge Tag Frame',
  });
  // Two hours at 8 kHz mono, 8 bit: 58 MB, analysed in full (ANALYSIS_MAX_DURATION_S is 4 h).
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=f=440:sample_rate=8000:d=7200',
    '-ac',
    '1',
    '-c:a',
    'pcm_u8',
    '-metadata',
    'title=Two Hours',
    at('Extras/two-hours.wav'),
  ]);
  good.push(at('Extras/two-hours.wav'));
  cases.push({ name: 'a 2-hour file', path: at('Extras/two-hours.wav'), expect: 'imported', duration: 7200 });
  await copyFile(path.join(templates, 'Broken/truncated.flac'), at('Extras/.hidden.flac'));
  await writeFile(at('Extras/notes.txt'), 'liner notes\n');
  cases.push(
    { name: 'hidden file', path: at('Extras/.hidden.flac'), expect: 'skipped' },
    { name: 'not audio (.txt)', path: at('Extras/notes.txt'), expect: 'skipped' },
  );

  await mkdir(at('Links'));
  await symlink('..', at('Links/loop'));
  await symlink('missing.flac', at('Links/dangling.flac'));
  // Root reads any chmod-000 file; this procfs file is write-only even for root (EACCES on open).
  await symlink('/proc/sys/vm/compact_memory', at('Links/unreadable.mp3'));
  await run('mkfifo', [at('Links/fifo.flac')]);
  cases.push(
    {
      name: 'symlink loop',
      path: at('Links/loop'),
      expect: 'error',
      stage: /^scan$/,
      reason: /symbolic link loop/,
      says: 'symbolic link loop',
    },
    {
      name: 'dangling symlink',
      path: at('Links/dangling.flac'),
      expect: 'error',
      stage: /^scan$/,
      reason: /does not exist/,
      says: 'link to a file that does not exist',
    },
    {
      name: 'unreadable file (EACCES)',
      path: at('Links/unreadable.mp3'),
      expect: 'error',
      stage: /.+/,
      reason: /permission denied/i,
      says: 'permission denied',
    },
    { name: 'FIFO named .flac (no hang)', path: at('Links/fifo.flac'), expect: 'skipped' },
  );

  const fine = await deepFile(at('Long', 'fine'), 1900, template('flac'), 'long-but-fine.flac', shortcuts);
  good.push(fine);
  cases.push({ name: `long path (${Buffer.byteLength(fine)} bytes)`, path: fine, expect: 'imported' });
  const tooLong = (prefix: string) => (e: ReportedError) => e.path.startsWith(prefix);
  for (const [label, bytes] of [
    ['catalog', 2400],
    ['pathmax', 4400],
  ] as const) {
    const base = at('Long', label);
    const file = await deepFile(base, bytes, template('ogg'), `too-long-${label}.ogg`, shortcuts);
    cases.push({
      name:
        label === 'catalog'
          ? `path over the catalog's ${MAX_PATH_BYTES} bytes (${Buffer.byteLength(file)})`
          : `path over PATH_MAX (${Buffer.byteLength(file)} bytes)`,
      path: file,
      expect: 'error',
      stage: /^scan$/,
      reason: /longer than 2048 bytes/,
      says: 'longer than 2048 bytes',
      matches: tooLong(`${base}/`),
    });
  }
  return { dir, cases, good, mp3 };
}

/** A folder of `entries` entries: empty non-audio files plus `audio` hard links of one MP3. */
export async function writeBigFolder(dir: string, entries: number, audio: number) {
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, '.source.mp3');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=f=330:d=2',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-metadata',
    'title=Needle',
    source,
  ]);
  const empty = path.join(dir, '.empty');
  await writeFile(empty, '');
  const good: string[] = [];
  for (let i = 0; i < entries - audio; i += 500)
    await Promise.all(
      Array.from({ length: Math.min(500, entries - audio - i) }, (_, j) =>
        link(empty, path.join(dir, `entry-${String(i + j).padStart(5, '0')}.txt`)),
      ),
    );
  for (let i = 0; i < audio; i++) {
    const file = path.join(dir, `needle-${i}.mp3`);
    await link(source, file);
    good.push(file);
  }
  return { good };
}

/**
 * The race library: `fillers` hard links of one short MP3 in its root, then
 * `victims` more in `zz-victims/`, which the walk reaches last (a folder's
 * files come before its subfolders), so they are queued after every filler.
 * Plus the replacement a victim may get.
 */
export async function writeRaceLibrary(dir: string, fillers: number, victims: number) {
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, '.source.mp3');
  const replacement = path.join(dir, '.replacement.mp3');
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=f=550:d=2',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-metadata',
    'title=Original',
    source,
  ]);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'sine=f=660:d=3',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-metadata',
    'title=Replaced',
    replacement,
  ]);
  const write = async (folder: string, n: number, prefix: string) => {
    await mkdir(folder, { recursive: true });
    const files: string[] = [];
    for (let i = 0; i < n; i++) {
      const file = path.join(folder, `${prefix}-${String(i).padStart(4, '0')}.mp3`);
      await link(source, file);
      files.push(file);
    }
    return files;
  };
  return {
    fillers: await write(dir, fillers, 'filler'),
    victims: await write(path.join(dir, 'zz-victims'), victims, 'victim'),
    replacement,
  };
}
