import {
  listLibraryFolders,
  listLibraryRoots,
  requestScan,
  scanStatus,
  ScanNotQueuedError,
} from '@tonegraph/catalog/store';
import type { Endpoint, EndpointContext } from '../context.ts';
import type { Node } from '../envelope.ts';
import { ErrorCode, SubsonicError } from '../errors.ts';

/** The OpenSubsonic extensions this server implements, with their versions. */
export const EXTENSIONS = [
  { name: 'apiKeyAuthentication', versions: [1] },
  { name: 'formPost', versions: [1] },
  // stream's timeOffset applies to transcodes (@tonegraph/streaming seeks ffmpeg's input).
  { name: 'transcodeOffset', versions: [1] },
] as const;

/** Endpoints answered without authentication (OpenSubsonic requires it of getOpenSubsonicExtensions). */
export const publicEndpoints: Readonly<Record<string, () => Node>> = {
  getOpenSubsonicExtensions: () => ({
    openSubsonicExtensions: EXTENSIONS.map((e) => ({ ...e, versions: [...e.versions] })),
  }),
};

async function status({ deps }: EndpointContext) {
  const s = await scanStatus(deps.database.db);
  return { scanStatus: { scanning: s.scanning, count: s.count, lastScan: s.lastScan ?? undefined } };
}

export const system: Record<string, Endpoint> = {
  ping: () => Promise.resolve({}),
  getLicense: () => Promise.resolve({ license: { valid: true } }),
  tokenInfo: ({ user }) => Promise.resolve({ tokenInfo: { username: user.name } }),
  async getMusicFolders({ deps }) {
    const folders = await listLibraryFolders(deps.database.db);
    return { musicFolders: { musicFolder: folders.map((f) => ({ id: f.id, name: f.name })) } };
  },
  getScanStatus: status,
  /** Requests an incremental scan of every library (admins only), as the scanLibrary mutation does. */
  async startScan(ctx) {
    const { deps, user, log, params } = ctx;
    if (!user.admin) throw new SubsonicError(ErrorCode.NotAuthorized, 'Only an admin may start a scan');
    const mode = params.bool('fullScan', false) ? 'FULL' : 'INCREMENTAL';
    for (const library of await listLibraryRoots(deps.database.db)) {
      try {
        const job = await requestScan(deps.database.db, deps.scanPublisher, library.id, mode);
        log.info({ jobId: job.id, libraryId: library.id, mode }, 'scan queued');
      } catch (error) {
        if (!(error instanceof ScanNotQueuedError)) throw error;
        log.error({ err: error.cause, jobId: error.jobId }, 'scan request not queued');
        throw new SubsonicError(ErrorCode.Generic, 'The scan could not be queued; try again later');
      }
    }
    return status(ctx);
  },
};
