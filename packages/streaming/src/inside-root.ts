import { realpath } from 'node:fs/promises';
import path from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a track's id (a UUID): anything else — a path, "..", an encoded slash — is no track. */
export const isTrackId = (id: string): boolean => UUID.test(id);

/** Whether `child` is `parent` or lies under it; both absolute and normalised. */
export const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
};

/**
 * The real path of `file` (every symlink resolved) when it lies inside the
 * real path of `root`, else null: a symlink in a library pointing outside
 * it, a path that left the root, or a file that is gone.
 */
export async function realPathInside(file: string, root: string): Promise<string | null> {
  if (!path.isAbsolute(file) || !path.isAbsolute(root) || file.includes('\0') || root.includes('\0'))
    return null;
  try {
    const [realFile, realRoot] = await Promise.all([realpath(file), realpath(root)]);
    return realFile !== realRoot && isInside(realFile, realRoot) ? realFile : null;
  } catch {
    return null; // ENOENT, EACCES, ELOOP …: nothing that can be served
  }
}
