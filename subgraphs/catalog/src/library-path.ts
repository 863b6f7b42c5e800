import { constants } from 'node:fs';
import { access, opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { userError } from './errors.ts';

const inside = (child: string, parent: string) => {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/**
 * Resolves a requested library root to its real path, or throws a GraphQL
 * error whose code says exactly what is wrong with it. Symlinks are resolved
 * before the roots are compared, so a link pointing outside a root is caught.
 */
export async function resolveLibraryPath(
  requested: string,
  allowedRoots: readonly string[],
): Promise<string> {
  if (!path.isAbsolute(requested) || requested.includes('\0')) {
    throw userError('LIBRARY_PATH_INVALID', `Library path must be an absolute path, got "${requested}"`);
  }
  if (requested.split(/[\\/]+/).includes('..')) {
    throw userError('LIBRARY_PATH_TRAVERSAL', 'Library path must not contain ".." segments');
  }
  let real: string;
  try {
    real = await realpath(requested);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES')
      throw userError('LIBRARY_PATH_UNREADABLE', `Library path ${requested} cannot be read`);
    throw userError('LIBRARY_PATH_NOT_FOUND', `Library path ${requested} does not exist`);
  }
  if (!(await stat(real)).isDirectory()) {
    throw userError('LIBRARY_PATH_NOT_DIRECTORY', `Library path ${requested} is not a directory`);
  }
  const roots = await Promise.all(allowedRoots.map((r) => realpath(r).catch(() => path.resolve(r))));
  if (!roots.some((root) => inside(real, root))) {
    const where =
      roots.length === 0
        ? 'no roots are configured (LIBRARY_ALLOWED_ROOTS)'
        : 'it is not inside an allowed root';
    throw userError(
      'LIBRARY_PATH_OUTSIDE_ROOTS',
      `Library path ${requested}${real === requested ? '' : ` (really ${real})`} cannot be added: ${where}`,
      { allowedRoots: roots },
    );
  }
  try {
    await access(real, constants.R_OK | constants.X_OK);
    const dir = await opendir(real);
    await dir.close();
  } catch {
    throw userError('LIBRARY_PATH_UNREADABLE', `Library path ${requested} cannot be read`);
  }
  return real;
}

/** The existing library root that `real` equals, contains or lies in, if any. */
export function overlapping(real: string, existing: readonly string[]): string | undefined {
  return existing.find((other) => inside(real, other) || inside(other, real));
}
