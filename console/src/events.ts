/** What one part of the page tells the others. */
export interface AppEvents {
  /** A scan was started (or found running): the jobs list follows it. */
  'job-started': { jobId: string };
  /** A job's status changed (e.g. QUEUED → RUNNING): libraries are re-read. */
  'job-status': { jobId: string };
  /** A job ended: libraries and tracks are re-read. */
  'job-ended': { jobId: string; libraryId: string | undefined };
  /** The library list changed (added, status). */
  'libraries-changed': undefined;
  /** Open a track's detail. */
  'open-track': { trackId: string };
  /** The player's track started, paused or changed: play buttons show it. */
  player: { trackId: string; playing: boolean };
}

type Listener<K extends keyof AppEvents> = (detail: AppEvents[K]) => void;
const listeners = new Map<keyof AppEvents, Set<Listener<never>>>();

export function on<K extends keyof AppEvents>(type: K, listener: Listener<K>): void {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(listener);
}

export function emit<K extends keyof AppEvents>(type: K, detail: AppEvents[K]): void {
  for (const listener of listeners.get(type) ?? []) (listener as Listener<K>)(detail);
}
