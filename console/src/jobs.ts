/** Import jobs: live progress from the importProgress subscription, and their errors. */
import { request, RequestError, subscribe, type Result } from './client.ts';
import { h, replace } from './dom.ts';
import { emit, on } from './events.ts';
import { dateTime, NONE, span } from './format.ts';

type Status = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
interface Stage {
  readonly total: number;
  readonly processed: number;
  readonly failed: number;
}
interface Job {
  readonly id: string;
  readonly mode: 'FULL' | 'INCREMENTAL';
  readonly status: Status;
  readonly total: number;
  readonly processed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly library: { readonly id: string; readonly name: string };
  readonly analysis: Stage;
}
interface Progress {
  readonly status: Status;
  readonly total: number;
  readonly processed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly at: string;
  readonly analysis: Stage;
  readonly job: Pick<Job, 'id' | 'mode' | 'startedAt' | 'finishedAt' | 'library'>;
}
interface ImportErrorRow {
  readonly id: string;
  readonly path: string;
  readonly stage: string;
  readonly reason: string;
  readonly occurredAt: string;
}

const JOB_FIELDS = /* GraphQL */ `
  fragment ConsoleJob on ImportJob {
    id
    mode
    status
    total
    processed
    failed
    skipped
    createdAt
    startedAt
    finishedAt
    library {
      id
      name
    }
    analysis {
      total
      processed
      failed
    }
  }
`;
const JOBS = /* GraphQL */ `
  query ConsoleJobs {
    importJobs(first: 10) {
      edges {
        node {
          ...ConsoleJob
        }
      }
    }
  }
  ${JOB_FIELDS}
`;
const JOB = /* GraphQL */ `
  query ConsoleJob($id: ID!) {
    importJob(id: $id) {
      ...ConsoleJob
    }
  }
  ${JOB_FIELDS}
`;
const ERRORS = /* GraphQL */ `
  query ConsoleJobErrors($id: ID!) {
    importJob(id: $id) {
      id
      errors(first: 100) {
        totalCount
        edges {
          node {
            id
            path
            stage
            reason
            occurredAt
          }
        }
      }
    }
  }
`;
const PROGRESS = /* GraphQL */ `
  subscription ConsoleProgress($jobId: ID!) {
    importProgress(jobId: $jobId) {
      status
      total
      processed
      failed
      skipped
      at
      analysis {
        total
        processed
        failed
      }
      job {
        id
        mode
        startedAt
        finishedAt
        library {
          id
          name
        }
      }
    }
  }
`;

const ended = (s: Status) => s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED';

/** One progress bar with role=progressbar and aria-valuenow/max, plus its text. */
function progressBar(label: string) {
  const fill = h('div', { class: 'fill' });
  const bar = h('div', { role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, class: 'bar' }, fill);
  return {
    el: bar,
    set(processed: number, total: number, text: string) {
      if (total > 0) {
        bar.setAttribute('aria-valuemax', String(total));
        bar.setAttribute('aria-valuenow', String(Math.min(processed, total)));
        fill.style.width = `${Math.min(100, (processed / total) * 100).toFixed(1)}%`;
      } else {
        // Not counted yet: indeterminate (no valuenow).
        bar.removeAttribute('aria-valuenow');
        bar.setAttribute('aria-valuemax', '0');
        fill.style.width = '0%';
      }
      bar.setAttribute('aria-valuetext', text);
    },
  };
}

class JobCard {
  readonly el: HTMLElement;
  private readonly heading: HTMLElement;
  private readonly statusEl = h('span', { class: 'status' });
  private readonly files = progressBar('Import progress');
  private readonly analysis = progressBar('Analysis progress');
  private readonly summary = h('p', { class: 'summary', 'aria-live': 'polite', 'aria-atomic': 'true' });
  private readonly analysisText = h('p', { class: 'summary' });
  private readonly errorsEl = h('div', { class: 'errors' });
  private readonly note = h('p', { class: 'note', role: 'status' });
  private unsubscribe: (() => void) | undefined;
  private poll: ReturnType<typeof setInterval> | undefined;
  private failuresShown = -1;
  private errorsTimer: ReturnType<typeof setTimeout> | undefined;
  private job: Job;

  constructor(job: Job) {
    this.job = job;
    const headingId = `job-${job.id}`;
    this.heading = h('h3', { id: headingId });
    this.el = h(
      'article',
      { class: 'job', 'aria-labelledby': headingId },
      this.heading,
      this.files.el,
      this.summary,
      this.analysis.el,
      this.analysisText,
      this.note,
      this.errorsEl,
    );
    this.render(job, Date.now());
    if (!ended(job.status)) this.follow();
    else void this.loadErrors();
  }

  get id(): string {
    return this.job.id;
  }

  private render(job: Job, now: number) {
    const name = job.library.name;
    this.heading.replaceChildren(`${job.mode === 'FULL' ? 'Full scan' : 'Scan'} of ${name} `, this.statusEl);
    this.statusEl.textContent = job.status;
    this.statusEl.className = `status ${job.status.toLowerCase()}`;
    this.files.el.setAttribute('aria-label', `Import progress of ${name}`);
    this.analysis.el.setAttribute('aria-label', `Analysis progress of ${name}`);

    const started = job.startedAt ? Date.parse(job.startedAt) : NaN;
    const until = job.finishedAt ? Date.parse(job.finishedAt) : now;
    const elapsed = (until - started) / 1000;
    const rate = Number.isFinite(elapsed) && elapsed > 0 ? job.processed / elapsed : NaN;
    const left = job.total - job.processed;
    const eta = ended(job.status)
      ? `took ${Number.isFinite(elapsed) ? span(elapsed) : NONE}`
      : job.total > 0 && left <= 0
        ? 'files read, analysis running'
        : job.total > 0 && rate > 0
          ? `ETA ${span(left / rate)}`
          : 'ETA —';
    const counted = job.total > 0 || ended(job.status);
    const text = counted
      ? `${job.processed}/${job.total} files · ${Number.isFinite(rate) ? rate.toFixed(1) : NONE} files/s · ${eta} · ${job.failed} failed · ${job.skipped} unchanged`
      : job.status === 'QUEUED'
        ? 'Waiting for an ingest worker…'
        : 'Counting files…';
    this.files.set(job.processed, job.total, counted ? `${job.processed} of ${job.total} files` : text);
    this.summary.textContent = `${job.status.toLowerCase()}: ${text}`;

    const a = job.analysis;
    this.analysis.set(a.processed, a.total, `${a.processed} of ${a.total} analysed`);
    this.analysisText.textContent =
      a.total > 0
        ? `Analysis: ${a.processed}/${a.total} · ${a.failed} failed`
        : 'Analysis: nothing to analyse yet';
    // The library's status (SCANNING, then ONLINE) follows the job's.
    if (this.el.dataset['status'] !== undefined && this.el.dataset['status'] !== job.status)
      emit('job-status', { jobId: job.id });
    this.el.dataset['status'] = job.status;
    this.el.title = `Created ${dateTime(job.createdAt)}`;

    const failures = job.failed + a.failed;
    if (failures !== this.failuresShown) this.scheduleErrors(ended(job.status) ? 0 : 2000);
  }

  private apply(event: Result<{ importProgress: Progress }>) {
    const p = event.data.importProgress;
    this.job = { ...this.job, ...p.job, ...p, createdAt: this.job.createdAt };
    this.render(this.job, Date.parse(p.at) || Date.now());
    if (ended(p.status)) this.finish();
  }

  /** Live progress; polls the job instead when the subscription cannot be had. */
  private follow() {
    this.unsubscribe = subscribe<{ importProgress: Progress }>(
      PROGRESS,
      { jobId: this.job.id },
      {
        next: (event) => this.apply(event),
        error: (error) => {
          this.note.textContent = `Live progress unavailable (${error.message}); polling instead.`;
          this.startPolling();
        },
        complete: () => {
          this.unsubscribe = undefined;
          if (!ended(this.job.status)) this.startPolling();
        },
      },
    );
  }

  private startPolling() {
    if (this.poll) return;
    this.poll = setInterval(() => {
      void request<{ importJob: Job | null }>(JOB, { id: this.job.id })
        .then(({ data }) => {
          if (!data.importJob) return;
          this.job = data.importJob;
          this.render(this.job, Date.now());
          if (ended(this.job.status)) this.finish();
        })
        .catch(() => undefined);
    }, 1000);
  }

  private finish() {
    clearInterval(this.poll);
    this.poll = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    emit('job-ended', { jobId: this.job.id, libraryId: this.job.library.id });
  }

  private scheduleErrors(delay: number) {
    if (this.errorsTimer) return;
    this.errorsTimer = setTimeout(() => {
      this.errorsTimer = undefined;
      void this.loadErrors();
    }, delay);
  }

  private async loadErrors() {
    this.failuresShown = this.job.failed + this.job.analysis.failed;
    if (this.failuresShown === 0) {
      replace(this.errorsEl, h('p', { class: 'hint' }, 'No import errors.'));
      return;
    }
    try {
      const { data } = await request<{
        importJob: { errors: { totalCount: number; edges: { node: ImportErrorRow }[] } } | null;
      }>(ERRORS, { id: this.job.id });
      const errors = data.importJob?.errors;
      if (!errors) return;
      const caption = `Import errors of ${this.job.library.name} (${errors.totalCount})`;
      replace(
        this.errorsEl,
        h(
          'table',
          { class: 'errors' },
          h('caption', {}, caption),
          h(
            'thead',
            {},
            h('tr', {}, ...['File', 'Stage', 'Reason'].map((c) => h('th', { scope: 'col' }, c))),
          ),
          h(
            'tbody',
            {},
            ...errors.edges.map(({ node }) =>
              h(
                'tr',
                {},
                h('td', {}, h('code', {}, node.path)),
                h('td', {}, node.stage),
                h('td', {}, node.reason),
              ),
            ),
          ),
        ),
      );
    } catch (error) {
      this.note.textContent = `Errors unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

export function mountJobs(section: HTMLElement): { refresh(): Promise<void> } {
  const list = h('div', { class: 'jobs', role: 'list', 'aria-label': 'Import jobs' });
  const empty = h('p', { class: 'hint' }, 'No import yet: start a scan of a library.');
  const alert = h('p', { class: 'alert', role: 'alert', hidden: true });
  const cards = new Map<string, JobCard>();

  const add = (job: Job) => {
    if (cards.has(job.id)) return;
    const card = new JobCard(job);
    cards.set(job.id, card);
    const item = h('div', { role: 'listitem' }, card.el);
    list.prepend(item);
    empty.hidden = true;
  };

  async function refresh() {
    try {
      const { data } = await request<{ importJobs: { edges: { node: Job }[] } }>(JOBS);
      for (const { node } of [...data.importJobs.edges].reverse()) add(node);
      empty.hidden = cards.size > 0;
    } catch (error) {
      if (error instanceof RequestError && error.isAuth) return;
      alert.hidden = false;
      alert.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  on('job-started', ({ jobId }) => {
    void request<{ importJob: Job | null }>(JOB, { id: jobId })
      .then(({ data }) => data.importJob && add(data.importJob))
      .catch((error: unknown) => {
        alert.hidden = false;
        alert.textContent = error instanceof Error ? error.message : String(error);
      });
  });

  replace(section, h('h2', { id: 'jobs-heading' }, 'Import jobs'), empty, list, alert);
  return { refresh };
}
