import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** A MusicBrainz recording kept as a candidate (below the match threshold), as stored. */
export interface EnrichmentCandidate {
  readonly recordingId: string;
  readonly title: string;
  readonly artist: string;
  readonly releaseId: string | null;
  readonly releaseTitle: string | null;
  readonly score: number;
}

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const libraries = pgTable('libraries', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  path: text().notNull().unique(),
  status: text().notNull().default('ONLINE'),
  /** How ingest keeps the library current: EVENTS (file-system watch), POLLING (periodic rescans) or OFF. */
  watchMode: text('watch_mode').notNull().default('OFF'),
  /** Why the watch mode is what it is, e.g. why events fell back to polling. */
  watchReason: text('watch_reason'),
  createdAt: ts('created_at').notNull().defaultNow(),
  lastScannedAt: ts('last_scanned_at'),
});

export const artists = pgTable(
  'artists',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    sortName: text('sort_name').notNull(),
    musicbrainzArtistId: text('musicbrainz_artist_id'),
    search: tsvector().generatedAlwaysAs(sql`to_tsvector('simple', name)`),
  },
  (t) => [
    uniqueIndex('artists_name_key').on(t.name),
    index('artists_sort_idx').on(t.sortName, t.id),
    index('artists_search_idx').using('gin', t.search),
    index('artists_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
  ],
);

export const albums = pgTable(
  'albums',
  {
    id: uuid().primaryKey().defaultRandom(),
    title: text().notNull(),
    albumArtistId: uuid('album_artist_id').references(() => artists.id, { onDelete: 'set null' }),
    year: integer(),
    compilation: boolean().notNull().default(false),
    musicbrainzReleaseId: text('musicbrainz_release_id'),
    /** The release's title as MusicBrainz writes it, set by enrichment. */
    musicbrainzTitle: text('musicbrainz_title'),
    /** File name of the album's cover under COVER_DIR (no folder), set by enrichment. */
    coverPath: text('cover_path'),
    /** `embedded` (from a track's tags) or `coverartarchive`. */
    coverSource: text('cover_source'),
    genres: text()
      .array()
      .notNull()
      .default(sql`'{}'`),
    search: tsvector().generatedAlwaysAs(sql`to_tsvector('simple', title)`),
  },
  (t) => [
    // One album per (title, album artist), compilations included: concurrent imports upsert, never duplicate.
    unique('albums_title_artist_key').on(t.title, t.albumArtistId).nullsNotDistinct(),
    index('albums_title_idx').on(t.title, t.id),
    index('albums_artist_idx').on(t.albumArtistId),
    index('albums_search_idx').using('gin', t.search),
    index('albums_title_trgm_idx').using('gin', t.title.op('gin_trgm_ops')),
  ],
);

export const tracks = pgTable(
  'tracks',
  {
    id: uuid().primaryKey().defaultRandom(),
    libraryId: uuid('library_id')
      .notNull()
      .references(() => libraries.id, { onDelete: 'cascade' }),
    albumId: uuid('album_id').references(() => albums.id, { onDelete: 'set null' }),
    albumArtistId: uuid('album_artist_id').references(() => artists.id, { onDelete: 'set null' }),
    title: text().notNull(),
    discNumber: integer('disc_number'),
    trackNumber: integer('track_number'),
    duration: real(),
    genres: text()
      .array()
      .notNull()
      .default(sql`'{}'`),
    year: integer(),
    isrc: text(),
    musicbrainzRecordingId: text('musicbrainz_recording_id'),
    musicbrainzTrackId: text('musicbrainz_track_id'),
    /** Canonical title and artist credit from MusicBrainz, set by a match. */
    musicbrainzTitle: text('musicbrainz_title'),
    musicbrainzArtistCredit: text('musicbrainz_artist_credit'),
    /** MBIDs of the credited artists, in credit order. */
    musicbrainzArtistIds: text('musicbrainz_artist_ids').array(),
    /** Null: never enriched; else `pending`, `matched`, `candidates`, `not_found` or `deferred`. */
    enrichmentStatus: text('enrichment_status'),
    /** The applied match's score, or the best candidate's. */
    enrichmentScore: real('enrichment_score'),
    /** For `candidates`: at most 5 `{ recordingId, title, artist, releaseId, releaseTitle, score }`. */
    enrichmentCandidates: jsonb('enrichment_candidates').$type<EnrichmentCandidate[]>(),
    enrichedAt: ts('enriched_at'),
    filePath: text('file_path').notNull(),
    fileSize: bigint('file_size', { mode: 'number' }).notNull(),
    format: text().notNull(),
    codec: text(),
    container: text(),
    bitrate: integer(),
    sampleRate: integer('sample_rate'),
    channels: integer(),
    bitsPerSample: integer('bits_per_sample'),
    lossless: boolean().notNull().default(false),
    contentHash: text('content_hash'),
    fileMtime: ts('file_mtime'),
    addedAt: ts('added_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    search: tsvector().generatedAlwaysAs(sql`to_tsvector('simple', title)`),
  },
  (t) => [
    uniqueIndex('tracks_library_path_key').on(t.libraryId, t.filePath),
    index('tracks_title_idx').on(t.title, t.id),
    index('tracks_added_idx').on(t.addedAt, t.id),
    index('tracks_year_idx').on(sql`coalesce(${t.year}, -1)`, t.id),
    index('tracks_duration_idx').on(sql`coalesce(${t.duration}, -1)`, t.id),
    index('tracks_album_idx').on(t.albumId),
    index('tracks_library_idx').on(t.libraryId),
    index('tracks_hash_idx').on(t.contentHash),
    index('tracks_genres_idx').using('gin', t.genres),
    index('tracks_search_idx').using('gin', t.search),
    index('tracks_title_trgm_idx').using('gin', t.title.op('gin_trgm_ops')),
  ],
);

export const trackArtists = pgTable(
  'track_artists',
  {
    trackId: uuid('track_id')
      .notNull()
      .references(() => tracks.id, { onDelete: 'cascade' }),
    artistId: uuid('artist_id')
      .notNull()
      .references(() => artists.id, { onDelete: 'cascade' }),
    role: text().notNull(),
    position: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.trackId, t.position] }), index('track_artists_artist_idx').on(t.artistId)],
);

export const importJobs = pgTable(
  'import_jobs',
  {
    id: uuid().primaryKey().defaultRandom(),
    libraryId: uuid('library_id')
      .notNull()
      .references(() => libraries.id, { onDelete: 'cascade' }),
    mode: text().notNull(),
    status: text().notNull().default('QUEUED'),
    total: integer().notNull().default(0),
    processed: integer().notNull().default(0),
    failed: integer().notNull().default(0),
    skipped: integer().notNull().default(0),
    /** Files whose audio analysis this job waits for (0 when ingest runs without analysis). */
    analysisTotal: integer('analysis_total').notNull().default(0),
    analysisDone: integer('analysis_done').notNull().default(0),
    analysisFailed: integer('analysis_failed').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('import_jobs_library_idx').on(t.libraryId, t.createdAt)],
);

export const importErrors = pgTable(
  'import_errors',
  {
    id: uuid().primaryKey().defaultRandom(),
    jobId: uuid('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    path: text().notNull(),
    stage: text().notNull(),
    reason: text().notNull(),
    occurredAt: ts('occurred_at').notNull().defaultNow(),
  },
  (t) => [
    index('import_errors_job_idx').on(t.jobId, t.occurredAt),
    // A redelivered failure records nothing new.
    uniqueIndex('import_errors_job_path_stage_key').on(t.jobId, t.path, t.stage),
  ],
);

/**
 * Every file an import job has planned, and where it stands. The job's
 * counters are derived from state changes of these rows, so a redelivered
 * message can never count a file twice.
 */
export const importJobFiles = pgTable(
  'import_job_files',
  {
    jobId: uuid('job_id')
      .notNull()
      .references(() => importJobs.id, { onDelete: 'cascade' }),
    path: text().notNull(),
    /** `upsert` or `delete`. */
    action: text().notNull(),
    /** `pending`, `done`, `skipped` or `failed`. */
    state: text().notNull().default('pending'),
    /** Null when the file needs no analysis; else `pending`, `done` or `failed`. */
    analysisState: text('analysis_state'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.path] })],
);

/**
 * Listeners of the Subsonic API. The password is kept encrypted (AES-256-GCM,
 * `store/listening-crypto.ts`), not hashed: Subsonic's token authentication
 * sends md5(password + salt), which the server can only check knowing the
 * password.
 */
export const users = pgTable('users', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull().unique(),
  /** `v1:<iv>:<tag>:<ciphertext>`, base64url parts, under SUBSONIC_PASSWORD_KEY. */
  passwordEnc: text('password_enc').notNull(),
  admin: boolean().notNull().default(false),
  createdAt: ts('created_at').notNull().defaultNow(),
});

/** OpenSubsonic API keys (`apiKey=`): only their SHA-256 is stored. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** sha256 of the key, hex. */
    keyHash: text('key_hash').notNull().unique(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('api_keys_user_idx').on(t.userId)],
);

/**
 * A user's starred tracks, albums and artists. `itemId` has no foreign key
 * (it points at one of three tables); reads join it, so a star of a removed
 * item simply stops showing.
 */
export const stars = pgTable(
  'stars',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** `track`, `album` or `artist`. */
    kind: text().notNull(),
    itemId: uuid('item_id').notNull(),
    starredAt: ts('starred_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.kind, t.itemId] }),
    index('stars_item_idx').on(t.kind, t.itemId),
  ],
);

/** Play counts: one row per user and track, counted by scrobbles with submission=true. */
export const trackPlays = pgTable(
  'track_plays',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    trackId: uuid('track_id')
      .notNull()
      .references(() => tracks.id, { onDelete: 'cascade' }),
    playCount: integer('play_count').notNull().default(0),
    lastPlayed: ts('last_played').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.trackId] }),
    index('track_plays_track_idx').on(t.trackId),
    index('track_plays_recent_idx').on(t.userId, t.lastPlayed),
  ],
);

/** A user's playlists. */
export const playlists = pgTable(
  'playlists',
  {
    id: uuid().primaryKey().defaultRandom(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    comment: text(),
    public: boolean().notNull().default(false),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [index('playlists_owner_idx').on(t.ownerId)],
);

/** A playlist's tracks in order (`position` from 0; a removed track leaves a gap, order is kept). */
export const playlistEntries = pgTable(
  'playlist_entries',
  {
    playlistId: uuid('playlist_id')
      .notNull()
      .references(() => playlists.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    trackId: uuid('track_id')
      .notNull()
      .references(() => tracks.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.playlistId, t.position] }),
    index('playlist_entries_track_idx').on(t.trackId),
  ],
);

export type TrackRow = typeof tracks.$inferSelect;
export type AlbumRow = typeof albums.$inferSelect;
export type ArtistRow = typeof artists.$inferSelect;
export type LibraryRow = typeof libraries.$inferSelect;
export type ImportJobRow = typeof importJobs.$inferSelect;
export type ImportErrorRow = typeof importErrors.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type PlaylistRow = typeof playlists.$inferSelect;
