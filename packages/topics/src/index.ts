/** An import job's counters at one moment, as published on its progress channel. */
export interface ImportProgressEvent {
  readonly jobId: string;
  readonly libraryId: string;
  /** QUEUED, RUNNING, COMPLETED, FAILED or CANCELLED. */
  readonly status: string;
  readonly total: number;
  readonly processed: number;
  readonly failed: number;
  readonly skipped: number;
  /** The audio analysis of the job's files, when ingest analyses audio. */
  readonly analysis?: StageCounters;
  /** The track the job handled most recently (imported or analysed), once there is one. */
  readonly lastTrackId?: string;
  /** ISO-8601 time of the event. */
  readonly at: string;
}

/** How far a stage of an import job (e.g. the audio analysis) has got. */
export interface StageCounters {
  /** Files the stage has to go through. */
  readonly total: number;
  /** Files it has been through, successfully or not. */
  readonly processed: number;
  /** Files it failed on. */
  readonly failed: number;
}

/** An event about a library, on its library channel. */
export interface LibraryEvent extends ImportProgressEvent {
  readonly type: 'IMPORT_PROGRESS';
}

/** The channel of one import job's progress events. */
export const importProgressChannel = (prefix: string, jobId: string) => `${prefix}import-progress:${jobId}`;

/**
 * Something the API serves changed (tracks, jobs, analyses, the graph,
 * enrichment, libraries): gateways drop their cached responses. The message
 * is a {@link CatalogChangedEvent}.
 */
export const catalogChangedChannel = (prefix: string) => `${prefix}catalog-changed`;

/** A change notice on {@link catalogChangedChannel}. */
export interface CatalogChangedEvent {
  /** Who changed something: `ingest`, `gateway`… */
  readonly source: string;
  /** ISO-8601 time of the notice. */
  readonly at: string;
}

/** The channel of one library's events. */
export const libraryEventsChannel = (prefix: string, libraryId: string) =>
  `${prefix}library-events:${libraryId}`;

/**
 * A track's analysis reached a final state: `done` (its tempo, key and
 * loudness are stored) or `failed`. Published by ingest's analysis stage on
 * the track's library channel; the analysis subgraph's `analysisCompleted`
 * subscription serves it.
 */
export interface AnalysisCompletedEvent {
  readonly trackId: string;
  readonly libraryId: string;
  readonly albumId: string | null;
  readonly status: 'done' | 'failed';
  /** Why it failed; null when done. */
  readonly error: string | null;
  readonly analyzerVersion: string;
  /** ISO-8601 time of the event. */
  readonly at: string;
}

/** The channel of one library's completed analyses. */
export const analysisCompletedChannel = (prefix: string, libraryId: string) =>
  `${prefix}analysis-completed:${libraryId}`;
