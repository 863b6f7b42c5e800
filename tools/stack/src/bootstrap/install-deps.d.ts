/** This machine as package-lock.json's os/cpu/libc fields name it. */
export interface Machine {
  readonly os: string;
  readonly cpu: string;
  readonly libc: 'glibc' | 'musl';
}

/** One entry of package-lock.json's `packages`. */
export interface LockEntry {
  readonly optional?: boolean;
  readonly os?: readonly string[];
  readonly cpu?: readonly string[];
  readonly libc?: readonly string[];
  readonly [field: string]: unknown;
}

export type InstallState =
  { readonly upToDate: true } | { readonly upToDate: false; readonly reason: string };

/** Whether npm would install this entry on `on` (default this machine). */
export function isExpected(entry: LockEntry, on?: Machine): boolean;

/** Whether node_modules under `root` matches its package-lock.json. */
export function installState(root: string, on?: Machine): Promise<InstallState>;
