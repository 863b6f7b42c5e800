/** Libraries: status and watch mode, add one, start a scan. */
import { request, RequestError } from './client.ts';
import { h, replace } from './dom.ts';
import { emit, on } from './events.ts';
import { dateTime, orNone } from './format.ts';

export interface LibraryRow {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  readonly status: 'ONLINE' | 'OFFLINE' | 'SCANNING';
  readonly trackCount: number;
  readonly lastScannedAt: string | null;
  readonly watch: { readonly mode: 'EVENTS' | 'POLLING' | 'OFF'; readonly reason: string | null } | null;
}

const LIBRARIES = /* GraphQL */ `
  query ConsoleLibraries {
    libraries {
      id
      name
      path
      status
      trackCount
      lastScannedAt
      watch {
        mode
        reason
      }
    }
  }
`;
const ADD = /* GraphQL */ `
  mutation ConsoleAddLibrary($path: String!, $name: String!) {
    addLibrary(path: $path, name: $name) {
      id
      name
    }
  }
`;
const SCAN = /* GraphQL */ `
  mutation ConsoleScan($id: ID!, $mode: ScanMode!) {
    scanLibrary(id: $id, mode: $mode) {
      id
    }
  }
`;

let current: readonly LibraryRow[] = [];
/** The libraries as last read (the track list's filter uses them). */
export const libraries = (): readonly LibraryRow[] => current;

const STATUS_TEXT = { ONLINE: 'online', OFFLINE: 'offline', SCANNING: 'scanning' } as const;

export function mountLibraries(section: HTMLElement): { refresh(): Promise<void> } {
  const body = h('tbody');
  const table = h(
    'table',
    {},
    h('caption', {}, 'Libraries'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Name', 'Path', 'Status', 'Watch', 'Tracks', 'Last scan', 'Actions'].map((c) =>
          h('th', { scope: 'col' }, c),
        ),
      ),
    ),
    body,
  );
  const message = h('p', { role: 'status', 'aria-live': 'polite' });
  const alert = h('p', { class: 'alert', role: 'alert', hidden: true });
  const fail = (error: unknown) => {
    alert.hidden = false;
    alert.textContent = error instanceof Error ? error.message : String(error);
  };

  const pathInput = h('input', {
    id: 'library-path',
    name: 'path',
    required: true,
    placeholder: '/srv/music/jazz',
  });
  const nameInput = h('input', { id: 'library-name', name: 'name', required: true, maxlength: 200 });
  const form = h(
    'form',
    {
      'aria-label': 'Add a library',
      onsubmit: (event) => {
        event.preventDefault();
        void add();
      },
    },
    h('label', { for: 'library-path' }, 'Library path'),
    pathInput,
    h('label', { for: 'library-name' }, 'Library name'),
    nameInput,
    h('button', { type: 'submit' }, 'Add library'),
  );

  async function add() {
    alert.hidden = true;
    try {
      const { data } = await request<{ addLibrary: { id: string; name: string } }>(ADD, {
        path: pathInput.value.trim(),
        name: nameInput.value.trim(),
      });
      message.textContent = `Library ${data.addLibrary.name} added.`;
      form.reset();
      await refresh();
      emit('libraries-changed', undefined);
    } catch (error) {
      fail(error);
    }
  }

  async function scan(library: LibraryRow, mode: 'FULL' | 'INCREMENTAL') {
    alert.hidden = true;
    try {
      const { data } = await request<{ scanLibrary: { id: string } }>(SCAN, { id: library.id, mode });
      message.textContent = `${mode === 'FULL' ? 'Full scan' : 'Scan'} of ${library.name} started.`;
      emit('job-started', { jobId: data.scanLibrary.id });
      await refresh();
    } catch (error) {
      fail(error);
    }
  }

  function row(library: LibraryRow) {
    const watch = library.watch
      ? h(
          'span',
          { title: library.watch.reason ?? '' },
          library.watch.mode.toLowerCase(),
          library.watch.reason ? ` (${library.watch.reason})` : '',
        )
      : '—';
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, library.name),
      h('td', {}, h('code', {}, library.path)),
      h('td', {}, h('span', { class: `badge ${library.status.toLowerCase()}` }, STATUS_TEXT[library.status])),
      h('td', {}, watch),
      h('td', { class: 'num' }, library.trackCount),
      h('td', {}, orNone(library.lastScannedAt && dateTime(library.lastScannedAt))),
      h(
        'td',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Scan ${library.name}`,
            onclick: () => void scan(library, 'INCREMENTAL'),
          },
          'Scan',
        ),
        h(
          'button',
          {
            type: 'button',
            'aria-label': `Full scan of ${library.name}`,
            onclick: () => void scan(library, 'FULL'),
          },
          'Full scan',
        ),
      ),
    );
  }

  async function refresh() {
    try {
      const { data } = await request<{ libraries: LibraryRow[] }>(LIBRARIES);
      current = data.libraries;
      replace(
        body,
        ...(current.length
          ? current.map(row)
          : [h('tr', {}, h('td', { colspan: 7 }, 'No library yet: add one below.'))]),
      );
    } catch (error) {
      if (!(error instanceof RequestError && error.isAuth)) fail(error);
    }
  }

  replace(
    section,
    h('h2', { id: 'libraries-heading' }, 'Libraries'),
    h('div', { class: 'scroll' }, table),
    form,
    message,
    alert,
    h('button', { type: 'button', onclick: () => void refresh() }, 'Refresh libraries'),
  );
  on('job-ended', () => void refresh());
  on('job-status', () => void refresh());
  return { refresh };
}
