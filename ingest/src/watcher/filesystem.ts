import { statfs } from 'node:fs/promises';

/**
 * File systems whose changes made elsewhere (another host, the FUSE daemon)
 * never reach inotify: a watch on them stays silent, so they are polled.
 * Magic numbers from statfs(2).
 */
const EVENTLESS: ReadonlyMap<number, string> = new Map([
  [0x6969, 'NFS'],
  [0xff534d42, 'CIFS'],
  [0xfe534d42, 'SMB2'],
  [0x517b, 'SMB'],
  [0x65735546, 'FUSE'],
  [0x01021997, '9P'],
  [0x00c36400, 'Ceph'],
  [0x5346414f, 'AFS'],
  [0x47504653, 'GPFS'],
  [0x0bd00bd0, 'Lustre'],
]);

/**
 * Why file-system events cannot be trusted for `root`, or undefined when they
 * can. An unknown file system is trusted: a silent watch still gets caught up
 * by the scan on start and by `scanLibrary`.
 */
export async function eventlessReason(root: string): Promise<string | undefined> {
  const { type } = await statfs(root);
  const name = EVENTLESS.get(type);
  return name ? `${name} file systems send no change events; rescanning periodically` : undefined;
}
