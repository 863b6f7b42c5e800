/**
 * The console's one audio player: a bar with the title, play/pause, ±10 s,
 * the time and the track's waveform as its progress bar. Any waveform canvas
 * of the playing track (the bar's, the track detail's) shows the played part
 * and seeks where it is clicked. The stream's URL is asked for when play is
 * pressed (`Track.streamUrl`: signed and short-lived), original or Opus
 * depending on what this browser plays.
 */
import { request, RequestError } from './client.ts';
import { h, replace } from './dom.ts';
import { emit } from './events.ts';
import { duration as clock } from './format.ts';
import { streamFormatFor, type FileFormat, type StreamFormat } from './media.ts';
import { explainStreamError } from './stream-errors.ts';
import { drawWaveform, type Peaks } from './waveform.ts';

/** What the player needs of a track (the list's rows and the detail have it). */
export interface PlayableTrack {
  readonly id: string;
  readonly title: string;
  readonly duration: number | null;
  readonly file: FileFormat;
}

const STREAM = /* GraphQL */ `
  query ConsoleStream($id: ID!, $format: StreamFormat!) {
    track(id: $id) {
      id
      streamUrl(format: $format)
      analysis {
        waveform(points: 512) {
          min
          max
        }
      }
    }
  }
`;

/** How long to wait before asking once more for a transcode the server was too busy for. */
const WAIT_MS = 1000;

/** A flat band: the bar's progress when the track has no waveform (yet). */
const BAND: Peaks = { min: [-0.3], max: [0.3] };

interface Current {
  readonly track: PlayableTrack;
  format: StreamFormat;
  /** Bumped on every new source: late answers for an older one are dropped. */
  readonly generation: number;
  /** The signed URL as the catalog gave it. */
  url: string;
  /**
   * Where the source starts in the track, seconds: a transcode has no byte
   * ranges, so seeking in one asks for a new stream from `timeOffset`
   * (left out of the URL's signature for this) and its time starts at 0.
   */
  offset: number;
  /** Whether an expired or refused URL was already replaced once, and a refused transcode asked for again, since it last played. */
  renewed: boolean;
  waited: boolean;
}

interface View {
  readonly canvas: HTMLCanvasElement;
  readonly trackId: string;
  readonly peaks: Peaks;
}

const audio = h('audio', { preload: 'none' });
const views = new Set<View>();
let current: Current | undefined;
let generation = 0;

/** The playing track's length: the original's as the media says, else (a transcode) the catalog's. */
function length(): number {
  if (current?.format === 'ORIGINAL' && Number.isFinite(audio.duration) && audio.duration > 0)
    return audio.duration;
  return current?.track.duration ?? 0;
}

/** Seconds into the track. */
const position = (): number => (current?.offset ?? 0) + audio.currentTime;

function redraw(): void {
  const total = length();
  const played = total > 0 ? position() / total : 0;
  for (const view of views)
    drawWaveform(view.canvas, view.peaks, view.trackId === current?.track.id ? played : 0);
}

/** Moves the playing track to `seconds`: a seek in an original, a new stream from there for a transcode. */
function seekTo(seconds: number): void {
  if (!current) return;
  const at = Math.max(0, Math.min(length() || Infinity, seconds));
  if (current.format === 'ORIGINAL') audio.currentTime = at;
  else {
    current.offset = at;
    audio.src = withOffset(current.url, at);
    void resume();
  }
  redraw();
}

const withOffset = (url: string, seconds: number): string => {
  if (seconds <= 0) return url;
  const u = new URL(url);
  u.searchParams.set('timeOffset', seconds.toFixed(1));
  return u.href;
};

/**
 * Makes `canvas` (drawn from `peaks`) a progress bar of `track`: the played
 * part in another colour while it plays; a click seeks there (or starts the
 * track there). Returns the function that lets it go.
 */
export function bindWaveform(canvas: HTMLCanvasElement, track: PlayableTrack, peaks: Peaks): () => void {
  const view: View = { canvas, trackId: track.id, peaks };
  views.add(view);
  const click = (event: MouseEvent) => {
    const box = canvas.getBoundingClientRect();
    const f = box.width > 0 ? Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)) : 0;
    if (current?.track.id === track.id) seekTo(f * length());
    else void play(track, f);
  };
  canvas.addEventListener('click', click);
  redraw();
  return () => {
    views.delete(view);
    canvas.removeEventListener('click', click);
  };
}

export const isPlaying = (trackId: string): boolean => current?.track.id === trackId && !audio.paused;

/** Play/pause of the loaded track; false when none is loaded. */
export function toggle(): boolean {
  if (!current) return false;
  if (audio.paused) void resume();
  else audio.pause();
  return true;
}

let ui:
  | {
      readonly section: HTMLElement;
      readonly title: HTMLElement;
      readonly toggle: HTMLButtonElement;
      readonly time: HTMLElement;
      readonly status: HTMLElement;
      readonly alert: HTMLElement;
      readonly canvas: HTMLCanvasElement;
      unbind: () => void;
    }
  | undefined;

function say(status: string, alert = ''): void {
  if (!ui) return;
  ui.status.textContent = status;
  ui.alert.textContent = alert;
  ui.alert.hidden = alert === '';
}

/** Starts `track` (at `at`, a fraction of its length): asks for a fresh stream URL first. */
export async function play(track: PlayableTrack, at = 0): Promise<void> {
  if (current?.track.id === track.id && at === 0) {
    if (audio.paused) await resume();
    return;
  }
  audio.pause();
  const format = streamFormatFor(track.file, (type) => audio.canPlayType(type));
  current = { track, format, generation: ++generation, url: '', offset: 0, renewed: false, waited: false };
  await load(current, at * (track.duration ?? 0));
}

/** Asks for `c`'s stream URL (and the bar's waveform) and plays it from `startAt` seconds. */
async function load(c: Current, startAt: number): Promise<void> {
  if (!ui) return;
  ui.section.hidden = false;
  ui.title.textContent = c.track.title;
  ui.canvas.setAttribute('aria-label', `Progress of ${c.track.title}`);
  say(
    c.format === 'ORIGINAL'
      ? 'Loading…'
      : `Loading… (${c.track.file.format} streamed as ${c.format.toLowerCase()})`,
  );
  emitState();
  let peaks: Peaks | null;
  try {
    const { data } = await request<{
      track: { streamUrl: string; analysis: { waveform: Peaks | null } | null } | null;
    }>(STREAM, { id: c.track.id, format: c.format });
    if (c.generation !== generation) return;
    if (!data.track) throw new RequestError('the track is no longer in the catalog.');
    c.url = new URL(data.track.streamUrl, location.href).href;
    peaks = data.track.analysis?.waveform ?? null;
  } catch (error) {
    if (c.generation !== generation) return;
    say('', `Cannot play ${c.track.title}: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  ui.unbind();
  ui.unbind = bindWaveform(ui.canvas, c.track, peaks && peaks.min.length > 0 ? peaks : BAND);
  if (c.format === 'ORIGINAL') {
    c.offset = 0;
    audio.src = c.url;
    if (startAt > 0)
      audio.addEventListener(
        'loadedmetadata',
        () => {
          if (current !== c || audio.src !== c.url) return;
          audio.currentTime = startAt;
          redraw(); // as seekTo does: the bar shows the new position before the next timeupdate
        },
        { once: true },
      );
  } else {
    c.offset = startAt;
    audio.src = withOffset(c.url, startAt);
  }
  await resume();
}

async function resume(): Promise<void> {
  const c = current;
  if (!c) return;
  // After a failure, play asks for a fresh URL; a transcode that ended from an offset starts over.
  if (audio.error) return load(c, position());
  if (audio.ended && c.format !== 'ORIGINAL' && c.offset > 0) {
    c.offset = 0;
    audio.src = c.url;
  }
  try {
    await audio.play();
  } catch (error) {
    if (c !== current || !(error instanceof DOMException)) return;
    // NotSupportedError and failed loads come as an `error` event too (handled there).
    if (error.name === 'NotAllowedError') say('', 'The browser blocked playback: press Play again.');
    else if (error.name !== 'AbortError' && error.name !== 'NotSupportedError')
      say('', `Cannot play: ${error.message}`);
  }
}

audio.addEventListener('error', () => {
  const c = current;
  const src = audio.currentSrc || audio.src;
  if (!c || !src) return;
  const at = position();
  void explainStreamError(src, audio.error).then(({ message, retry }) => {
    if (c !== current) return;
    // A URL that expired while paused, or an original this browser turned out not to play: once more.
    if (retry === 'renew' && !c.renewed) {
      c.renewed = true;
      void load(c, at);
    } else if (retry === 'wait' && !c.waited) {
      c.waited = true;
      say('The server is busy; trying again…');
      setTimeout(() => {
        if (c === current) void load(c, at);
      }, WAIT_MS);
    } else if (retry === 'transcode' && c.format === 'ORIGINAL') {
      c.format = 'OPUS';
      void load(c, at);
    } else {
      say('', `Cannot play ${c.track.title}: ${message}`);
      emitState();
    }
  });
});

function emitState(): void {
  if (!ui || !current) return;
  const playing = !audio.paused;
  ui.toggle.textContent = playing ? 'Pause' : 'Play';
  ui.toggle.setAttribute('aria-label', `${playing ? 'Pause' : 'Play'} ${current.track.title}`);
  ui.time.textContent = `${clock(position())} / ${clock(length() || null)}`;
  emit('player', { trackId: current.track.id, playing });
}

for (const type of ['play', 'pause', 'ended', 'durationchange'] as const)
  audio.addEventListener(type, emitState);
audio.addEventListener('playing', () => {
  say('');
  if (current) current.renewed = current.waited = false;
});
audio.addEventListener('waiting', () => say('Buffering…'));
for (const type of ['timeupdate', 'seeked', 'loadedmetadata'] as const)
  audio.addEventListener(type, () => {
    if (ui) ui.time.textContent = `${clock(position())} / ${clock(length() || null)}`;
    redraw();
  });

/** Builds the player bar in `section` (hidden until something plays). */
export function mountPlayer(section: HTMLElement): void {
  const skip = (seconds: number, label: string) =>
    h(
      'button',
      {
        type: 'button',
        'aria-label': label,
        onclick: () => seekTo(position() + seconds),
      },
      seconds < 0 ? '−10 s' : '+10 s',
    );
  const parts = {
    section,
    title: h('p', { class: 'player-title' }),
    toggle: h('button', { type: 'button', class: 'player-toggle', onclick: () => toggle() }, 'Play'),
    time: h('span', { class: 'player-time' }, '0:00 / 0:00'),
    status: h('span', { class: 'hint', role: 'status', 'aria-live': 'polite' }),
    alert: h('p', { class: 'alert', role: 'alert', hidden: true }),
    canvas: h('canvas', { class: 'waveform player-wave', role: 'img', 'aria-label': 'Progress', height: 40 }),
    unbind: () => {},
  };
  ui = parts;
  replace(
    section,
    h(
      'div',
      { class: 'player-controls' },
      parts.toggle,
      skip(-10, 'Back 10 seconds'),
      skip(10, 'Forward 10 seconds'),
    ),
    h('div', { class: 'player-now' }, parts.title, parts.time, parts.status),
    parts.canvas,
    parts.alert,
    audio,
  );
  section.hidden = true;
  // Space toggles play/pause anywhere but in a field or on a control (which space activates itself).
  document.addEventListener('keydown', (event) => {
    if (event.key !== ' ' || event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target?.closest('input, textarea, select, button, a, [contenteditable]')) return;
    if (toggle()) event.preventDefault();
  });
}
