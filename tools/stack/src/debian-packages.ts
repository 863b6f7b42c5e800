import { exists, which } from './fs-util.ts';
import { run } from './proc.ts';
import { step } from './progress.ts';

/** Something a tool needs from Debian: the packages, and what tells that they are there already. */
export interface DebianNeed {
  /** Who needs it, for messages ("audio tooling", "evaluation set"). */
  readonly name: string;
  readonly packages: readonly string[];
  /** Commands on PATH that the packages provide. */
  readonly commands?: readonly string[];
  /** Files that the packages provide (data packages such as a sound font have no command). */
  readonly files?: readonly string[];
}

/** Whether every command and file of a need is present already. */
export async function isSatisfied(need: DebianNeed): Promise<boolean> {
  for (const cmd of need.commands ?? []) if (!(await which(cmd))) return false;
  for (const file of need.files ?? []) if (!(await exists(file))) return false;
  return true;
}

/** Installs Debian packages with apt-get (through sudo unless root); a no-op for none. */
export async function installPackages(packages: readonly string[]): Promise<void> {
  if (packages.length === 0) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) =>
    sudo.length ? run('sudo', ['-E', 'apt-get', ...args], { env }) : run('apt-get', args, { env });
  const count = `${packages.length} Debian package${packages.length === 1 ? '' : 's'}`;
  await step(`installing ${count} (${packages.join(' ')})`, `installed ${count}`, async () => {
    await apt(['update', '-qq']);
    await apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  });
}

/** Installs the packages of every need that is not satisfied yet, in one apt-get run. */
export async function ensureDebianPackages(needs: readonly DebianNeed[]): Promise<void> {
  const missing: string[] = [];
  for (const need of needs) if (!(await isSatisfied(need))) missing.push(...need.packages);
  await installPackages([...new Set(missing)]);
}
