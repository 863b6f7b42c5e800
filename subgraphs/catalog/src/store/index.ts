/**
 * The catalog's store API: everything another package writes to (or reads
 * back from) the catalog's PostgreSQL database goes through these functions,
 * so its tables, SQL and locking order have one owner, this package. Ingest
 * is the main caller: it plans scans, commits tracks and settles its jobs
 * here; the `scanLibrary` mutation requests scans with the same
 * {@link requestScan}. The drizzle tables (`src/db/schema.ts`) stay inside
 * the package (a lint rule keeps them there).
 *
 * Functions taking a `CatalogTx` run in the caller's transaction
 * (`db.transaction(async (tx) => …)`), so that a stage commits the rows of a
 * batch and their ledger entries at once; the others run on their own.
 * Every write is idempotent: a redelivered job changes nothing twice.
 */
export type { CatalogTx, Executor } from './executor.ts';
export { migrateCatalog, MIGRATION_LOCK, migrationsFolder, type MigrateOptions } from './migrate.ts';
export { requestScan, hasActiveScan, ScanNotQueuedError } from './scan-requests.ts';
export {
  findLibrary,
  listLibraryRoots,
  setLibraryStatus,
  setWatchMode,
  type LibraryStatus,
  type WatchMode,
} from './libraries.ts';
export type { CreditRole, FileFacts, SavedTrack, TrackTags } from './track-facts.ts';
export { upsertTracks } from './tracks.ts';
export { deleteTracks, knownFiles, markEnrichmentPending, moveTrack, type KnownFile } from './track-files.ts';
export { loadCreditedTracks, type CreditedTrack } from './track-reads.ts';
export { trackFile } from './track-file.ts';
export {
  failJob,
  finishIfDone,
  startJob,
  type FileAction,
  type FileState,
  type JobCounters,
  type PlannedFile,
} from './jobs.ts';
export { markAnalysisPending, recordError, settleAnalyses, settleFile, settleFiles } from './ledger.ts';
export {
  loadEnrichmentTrack,
  markEnrichmentGivenUp,
  saveEnrichment,
  type EnrichmentCandidate,
  type EnrichmentOutcome,
  type EnrichmentTrack,
} from './enrichment.ts';
export type { ImportJobRow, LibraryRow } from '../db/schema.ts';
export {
  DEVELOPMENT_PASSWORD_KEY,
  PasswordKeyError,
  hashApiKey,
  passwordCipher,
  type PasswordCipher,
} from './listening-crypto.ts';
export {
  createApiKey,
  createUser,
  listUsers,
  userByApiKey,
  userCredentials,
  UserExistsError,
  UserNotFoundError,
  type ListeningUser,
} from './listening-users.ts';
export {
  kindsOf,
  playStats,
  recordPlay,
  star,
  starCounts,
  unstar,
  type StarKind,
} from './listening-stars.ts';
export {
  createPlaylist,
  deletePlaylist,
  getPlaylist,
  listPlaylists,
  PlaylistNotFoundError,
  updatePlaylist,
  type PlaylistChange,
  type PlaylistSummary,
  type PlaylistWithTracks,
} from './listening-playlists.ts';
export { isCatalogId } from './ids.ts';
export {
  albumCoverFile,
  albumList,
  albumWithSongs,
  artistWithAlbums,
  listAlbumArtists,
  listLibraryFolders,
  randomSongs,
  scanStatus,
  searchAll,
  songsByIds,
  starredItems,
  trackIdsOf,
  type AlbumListOptions,
  type AlbumListType,
  type AlbumRow,
  type ArtistRow,
  type SearchOptions,
  type SongRow,
} from './subsonic-reads.ts';
