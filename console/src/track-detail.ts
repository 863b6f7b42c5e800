/** A track's detail: tags, file, analysis, its waveform on a canvas, and similar tracks from the graph. */
import { partialNote, request } from './client.ts';
import { h, replace } from './dom.ts';
import { emit, on } from './events.ts';
import { bytes, duration, fixed, NONE, orNone } from './format.ts';
import { playButton } from './play-button.ts';
import { bindWaveform } from './player.ts';
import { type Peaks } from './waveform.ts';

interface Detail {
  readonly id: string;
  readonly title: string;
  readonly duration: number | null;
  readonly year: number | null;
  readonly genres: readonly string[];
  readonly artists: readonly { readonly role: string; readonly artist: { readonly name: string } }[];
  readonly album: { readonly title: string } | null;
  readonly library: { readonly name: string };
  readonly file: {
    readonly path: string;
    readonly size: number;
    readonly format: string;
    readonly codec: string | null;
    readonly bitrate: number | null;
    readonly sampleRate: number | null;
    readonly channels: number | null;
  };
  readonly analysis: {
    readonly status: string;
    readonly error: string | null;
    readonly tempo: { readonly bpm: number; readonly confidence: number } | null;
    readonly key: { readonly name: string; readonly camelot: string; readonly openKey: string } | null;
    readonly loudness: {
      readonly integratedLufs: number | null;
      readonly truePeakDbtp: number | null;
      readonly loudnessRangeLu: number;
    } | null;
    readonly replayGain: { readonly trackGainDb: number | null } | null;
    readonly waveform: Peaks | null;
  } | null;
}

// The catalog's and the analysis subgraph's fields. Similar tracks are asked
// separately: `similarTracks` is non-null, so a library-graph outage would
// otherwise null the whole track.
const DETAIL = /* GraphQL */ `
  query ConsoleTrack($id: ID!) {
    track(id: $id) {
      id
      title
      duration
      year
      genres
      artists {
        role
        artist {
          name
        }
      }
      album {
        title
      }
      library {
        name
      }
      file {
        path
        size
        format
        codec
        bitrate
        sampleRate
        channels
      }
      analysis {
        status
        error
        tempo {
          bpm
          confidence
        }
        key {
          name
          camelot
          openKey
        }
        loudness {
          integratedLufs
          truePeakDbtp
          loudnessRangeLu
        }
        replayGain {
          trackGainDb
        }
        waveform(points: 1024) {
          min
          max
        }
      }
    }
  }
`;
const SIMILAR = /* GraphQL */ `
  query ConsoleSimilar($id: ID!) {
    track(id: $id) {
      id
      similarTracks(limit: 5) {
        id
        title
      }
    }
  }
`;

export function mountTrackDetail(section: HTMLElement): void {
  const heading = h('h2', { id: 'track-detail-heading', tabindex: -1 }, 'Track');
  const facts = h('dl', { class: 'facts' });
  const canvas = h('canvas', {
    class: 'waveform',
    role: 'img',
    'aria-label': 'Waveform',
    width: 1024,
    height: 160,
  });
  const waveNote = h('p', { class: 'hint' });
  // The play button of the open track, and the function that unbinds its waveform from the player.
  const playSlot = h('span');
  let unbindWave = () => {};
  const similar = h('ul', { 'aria-labelledby': 'similar-heading', class: 'similar' });
  const noteText = h('span');
  const retry = h('button', { type: 'button', hidden: true, onclick: () => void open(current) }, 'Retry');
  const note = h('p', { class: 'note', role: 'status' }, noteText, ' ', retry);
  const alert = h('p', { class: 'alert', role: 'alert', hidden: true });
  const close = h(
    'button',
    { type: 'button', onclick: () => (section.hidden = true) },
    'Close track details',
  );
  let current = '';

  replace(
    section,
    heading,
    playSlot,
    ' ',
    close,
    note,
    alert,
    facts,
    h('h3', {}, 'Waveform'),
    canvas,
    waveNote,
    h('h3', { id: 'similar-heading' }, 'Similar tracks'),
    similar,
  );

  const fact = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];

  async function open(id: string) {
    current = id;
    section.hidden = false;
    alert.hidden = true;
    noteText.textContent = '';
    retry.hidden = true;
    heading.textContent = 'Loading track…';
    heading.focus();
    playSlot.replaceChildren();
    unbindWave();
    unbindWave = () => {};
    replace(similar, h('li', {}, 'Loading…'));
    void loadSimilar(id);
    try {
      const { data, errors } = await request<{ track: Detail | null }>(DETAIL, { id });
      if (current !== id) return;
      const t = data.track;
      if (!t) {
        heading.textContent = 'Track not found';
        return;
      }
      const partial = partialNote(errors);
      noteText.textContent = partial ?? '';
      // A subgraph that timed out or was down may answer a second time.
      retry.hidden = partial === null;
      heading.textContent = t.title;
      playSlot.replaceChildren(playButton(t));
      const a = t.analysis;
      replace(
        facts,
        ...fact(
          'Artists',
          orNone(
            t.artists
              .map((x) => (x.role === 'FEATURED' ? `feat. ${x.artist.name}` : x.artist.name))
              .join(', '),
          ),
        ),
        ...fact('Album', orNone(t.album?.title)),
        ...fact('Year', orNone(t.year)),
        ...fact('Genres', orNone(t.genres.join(', '))),
        ...fact('Length', duration(t.duration)),
        ...fact('Library', t.library.name),
        ...fact('File', t.file.path),
        ...fact(
          'Format',
          [
            t.file.format,
            t.file.codec,
            t.file.bitrate ? `${Math.round(t.file.bitrate / 1000)} kbit/s` : null,
            t.file.sampleRate ? `${t.file.sampleRate} Hz` : null,
            bytes(t.file.size),
          ]
            .filter(Boolean)
            .join(' · '),
        ),
        ...fact('Analysis', a ? (a.error ? `${a.status}: ${a.error}` : a.status) : NONE),
        ...fact(
          'BPM',
          a?.tempo ? `${fixed(a.tempo.bpm)} (confidence ${fixed(a.tempo.confidence, 2)})` : NONE,
        ),
        ...fact('Key', a?.key ? `${a.key.camelot} · ${a.key.name} · ${a.key.openKey}` : NONE),
        ...fact('Loudness', a?.loudness ? `${fixed(a.loudness.integratedLufs)} LUFS` : NONE),
        ...fact('True peak', a?.loudness ? `${fixed(a.loudness.truePeakDbtp)} dBTP` : NONE),
        ...fact('Loudness range', a?.loudness ? `${fixed(a.loudness.loudnessRangeLu)} LU` : NONE),
        ...fact('ReplayGain', a?.replayGain ? `${fixed(a.replayGain.trackGainDb)} dB` : NONE),
      );
      canvas.setAttribute('aria-label', `Waveform of ${t.title}`);
      if (a?.waveform && a.waveform.min.length > 0) {
        canvas.hidden = false;
        // The waveform is the track's progress bar: drawn with the played part, clicked to seek.
        unbindWave = bindWaveform(canvas, t, a.waveform);
        canvas.dataset['points'] = String(a.waveform.min.length);
        waveNote.textContent = `${a.waveform.min.length} points. Click it to play from there.`;
      } else {
        canvas.hidden = true;
        delete canvas.dataset['points'];
        waveNote.textContent = a
          ? `No waveform yet (analysis ${a.status.toLowerCase()}).`
          : `Waveform: ${NONE}`;
      }
    } catch (error) {
      heading.textContent = 'Track unavailable';
      alert.hidden = false;
      alert.textContent = error instanceof Error ? error.message : String(error);
      retry.hidden = false;
    }
  }

  async function loadSimilar(id: string) {
    try {
      const { data, errors } = await request<{
        track: { similarTracks: { id: string; title: string }[] } | null;
      }>(SIMILAR, { id });
      if (current !== id) return;
      // similarTracks is non-null: a library-graph error nulls the whole track.
      if (!data.track && errors.length > 0) throw new Error(errors[0]?.message);
      const list = data.track?.similarTracks ?? [];
      replace(
        similar,
        ...(list.length
          ? list.map((s) =>
              h(
                'li',
                {},
                h(
                  'button',
                  { type: 'button', class: 'link', onclick: () => emit('open-track', { trackId: s.id }) },
                  s.title,
                ),
              ),
            )
          : [h('li', {}, 'None yet.')]),
      );
    } catch {
      // The library graph is down or errs: the rest of the detail still works.
      if (current === id) replace(similar, h('li', {}, `${NONE} (library graph unavailable)`));
    }
  }

  on('open-track', ({ trackId }) => void open(trackId));
}
