/** The track table: search, cursor paging, and the analysis columns (BPM, Camelot key, LUFS). */
import { partialNote, request, RequestError } from './client.ts';
import { h, replace } from './dom.ts';
import { emit, on } from './events.ts';
import { duration, fixed, orNone } from './format.ts';
import { libraries } from './libraries.ts';
import { playButton } from './play-button.ts';

export interface TrackRow {
  readonly id: string;
  readonly title: string;
  readonly duration: number | null;
  readonly artists: readonly { readonly artist: { readonly name: string } }[];
  readonly album: { readonly title: string } | null;
  readonly file: { readonly format: string; readonly codec: string | null };
  // From the analysis subgraph: null when it has nothing yet or is down.
  readonly analysis: {
    readonly status: string;
    readonly tempo: { readonly bpm: number } | null;
    readonly key: { readonly camelot: string; readonly name: string } | null;
    readonly loudness: { readonly integratedLufs: number | null } | null;
  } | null;
}

const ROW = /* GraphQL */ `
  fragment ConsoleTrackRow on Track {
    id
    title
    duration
    artists {
      artist {
        name
      }
    }
    album {
      title
    }
    file {
      format
      codec
    }
    analysis {
      status
      tempo {
        bpm
      }
      key {
        camelot
        name
      }
      loudness {
        integratedLufs
      }
    }
  }
`;
const TRACKS = /* GraphQL */ `
  query ConsoleTracks($first: Int!, $after: String, $filter: TrackFilter) {
    tracks(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...ConsoleTrackRow
        }
      }
    }
  }
  ${ROW}
`;
const SEARCH = /* GraphQL */ `
  query ConsoleSearch($text: String!) {
    search(text: $text, first: 50) {
      score
      node {
        __typename
        ... on Track {
          ...ConsoleTrackRow
        }
      }
    }
  }
  ${ROW}
`;

const PAGE_SIZE = 25;

export function mountTracks(section: HTMLElement): { refresh(): Promise<void> } {
  const searchInput = h('input', { id: 'track-search', type: 'search', name: 'q', maxlength: 200 });
  const librarySelect = h('select', { id: 'track-library', name: 'library' });
  const body = h('tbody');
  const caption = h('caption', {});
  const status = h('p', { role: 'status', 'aria-live': 'polite' });
  const note = h('p', { class: 'note' });
  const alert = h('p', { class: 'alert', role: 'alert', hidden: true });
  const prev = h('button', { type: 'button', disabled: true }, 'Previous page');
  const next = h('button', { type: 'button', disabled: true }, 'Next page');

  // Cursor paging: the cursors of the pages before this one, and this page's end.
  let cursors: (string | null)[] = [];
  let after: string | null = null;
  let endCursor: string | null = null;
  let query = '';

  const columns = ['Title', 'Artist', 'Album', 'Length', 'Format', 'BPM', 'Key', 'LUFS'];
  const table = h(
    'table',
    { class: 'tracks' },
    caption,
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
    body,
  );

  const row = (t: TrackRow) =>
    h(
      'tr',
      {},
      h(
        'th',
        { scope: 'row' },
        playButton(t),
        ' ',
        h(
          'button',
          { type: 'button', class: 'link', onclick: () => emit('open-track', { trackId: t.id }) },
          t.title,
        ),
      ),
      h('td', {}, orNone(t.artists.map((a) => a.artist.name).join(', '))),
      h('td', {}, orNone(t.album?.title)),
      h('td', { class: 'num' }, duration(t.duration)),
      h('td', {}, t.file.format),
      h('td', { class: 'num' }, fixed(t.analysis?.tempo?.bpm)),
      h('td', { title: t.analysis?.key?.name ?? '' }, orNone(t.analysis?.key?.camelot)),
      h('td', { class: 'num' }, fixed(t.analysis?.loudness?.integratedLufs)),
    );

  function show(rows: readonly TrackRow[], errors: Parameters<typeof partialNote>[0]) {
    replace(
      body,
      ...(rows.length
        ? rows.map(row)
        : [h('tr', {}, h('td', { colspan: columns.length }, 'No track found.'))]),
    );
    note.textContent = partialNote(errors) ?? '';
  }

  // Only the newest load shows: a search sent while the first page is still
  // on its way must not be overwritten by that page when it arrives later.
  let loads = 0;
  async function load() {
    const mine = ++loads;
    const stale = () => mine !== loads;
    alert.hidden = true;
    try {
      if (query) {
        const { data, errors } = await request<{
          search: { node: { __typename: string } & Partial<TrackRow> }[];
        }>(SEARCH, { text: query });
        if (stale()) return;
        const rows = data.search
          .filter((hit) => hit.node.__typename === 'Track')
          .map((hit) => hit.node as TrackRow);
        caption.textContent = `Tracks matching “${query}”`;
        status.textContent = `${rows.length} track${rows.length === 1 ? '' : 's'} match “${query}”.`;
        prev.disabled = next.disabled = true;
        show(rows, errors);
        return;
      }
      const libraryId = librarySelect.value || undefined;
      const { data, errors } = await request<{
        tracks: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: TrackRow }[];
        };
      }>(TRACKS, { first: PAGE_SIZE, after, filter: libraryId ? { libraryId } : null });
      if (stale()) return;
      const { totalCount, pageInfo, edges } = data.tracks;
      endCursor = pageInfo.endCursor;
      const page = cursors.length + 1;
      const pages = Math.max(1, Math.ceil(totalCount / PAGE_SIZE));
      caption.textContent = `Tracks, page ${page} of ${pages}`;
      status.textContent = `${totalCount} track${totalCount === 1 ? '' : 's'}; page ${page} of ${pages}.`;
      prev.disabled = cursors.length === 0;
      next.disabled = !pageInfo.hasNextPage;
      show(
        edges.map((e) => e.node),
        errors,
      );
    } catch (error) {
      if (stale()) return;
      if (error instanceof RequestError && error.isAuth) return; // the access screen says it
      alert.hidden = false;
      alert.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  function fillLibraries() {
    const selected = librarySelect.value;
    replace(
      librarySelect,
      h('option', { value: '' }, 'All libraries'),
      ...libraries().map((l) => h('option', { value: l.id, selected: l.id === selected }, l.name)),
    );
  }

  const restart = () => {
    cursors = [];
    after = null;
    return load();
  };

  const form = h(
    'form',
    {
      role: 'search',
      'aria-label': 'Tracks',
      onsubmit: (event) => {
        event.preventDefault();
        query = searchInput.value.trim();
        void restart();
      },
    },
    h('label', { for: 'track-search' }, 'Search tracks'),
    searchInput,
    h('button', { type: 'submit' }, 'Search'),
    h('label', { for: 'track-library' }, 'Library'),
    librarySelect,
  );
  librarySelect.addEventListener('change', () => {
    query = '';
    searchInput.value = '';
    void restart();
  });
  prev.addEventListener('click', () => {
    after = cursors.pop() ?? null;
    void load();
  });
  next.addEventListener('click', () => {
    cursors.push(after);
    after = endCursor;
    void load();
  });

  replace(
    section,
    h('h2', { id: 'tracks-heading' }, 'Tracks'),
    form,
    status,
    note,
    alert,
    h('div', { class: 'scroll' }, table),
    h('nav', { 'aria-label': 'Track pages', class: 'pager' }, prev, next),
  );
  fillLibraries();
  on('libraries-changed', fillLibraries);
  on('job-ended', () => {
    fillLibraries();
    void load();
  });
  return {
    refresh: async () => {
      fillLibraries();
      await load();
    },
  };
}
