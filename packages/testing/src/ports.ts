import { randomInt } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** Linux's default range of local ports for outgoing connections. */
const DEFAULT_EPHEMERAL: readonly [number, number] = [32768, 60999];
/** The lowest port handed out: above the usual fixed service ports. */
const LOWEST = 10_000;

/** The kernel's range of local ports for outgoing connections (Linux; the default elsewhere), read once. */
let ephemeral: Promise<readonly [number, number]> | undefined;
function ephemeralRange(): Promise<readonly [number, number]> {
  ephemeral ??= readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').then(
    (text) => {
      const [low, high] = text.trim().split(/\s+/).map(Number);
      return Number.isInteger(low) && Number.isInteger(high) && low! <= high!
        ? ([low!, high!] as const)
        : DEFAULT_EPHEMERAL;
    },
    // Not Linux, or no /proc: assume the default.
    () => DEFAULT_EPHEMERAL,
  );
  return ephemeral;
}

/** Whether something can listen on 127.0.0.1:`port` now. */
async function canListen(port: number): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  }
}

/** Ports this process has handed out, never handed out twice. */
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a child process to
 * listen on. It is picked below the kernel's ephemeral range: a port from
 * inside it (what `listen(0)` gives) can be taken between this check and
 * the child's `listen` by any outgoing connection of any process — the
 * services' own connections to PostgreSQL, Redis or Neo4j as they start —
 * and the child then fails with EADDRINUSE.
 */
export async function freePort(): Promise<number> {
  const [low] = await ephemeralRange();
  const highest = low - 1;
  if (highest - LOWEST >= 1000) {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = randomInt(LOWEST, highest + 1);
      if (handedOut.has(port)) continue;
      if (await canListen(port)) {
        handedOut.add(port);
        return port;
      }
    }
  }
  // No room below the ephemeral range: let the kernel pick.
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A base port such that `base + offset` is free for every offset (0
 * included), all of them below the ephemeral range when there is room:
 * for `npm start`'s START_PORT_BASE, whose services listen at fixed
 * offsets from it.
 */
export async function freePortBase(offsets: readonly number[]): Promise<number> {
  const span = Math.max(0, ...offsets);
  const [low] = await ephemeralRange();
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = await freePort();
    if (base + span > 65_535 || (base < low && base + span >= low)) continue;
    const free = await Promise.all(
      offsets.map((offset) => (offset === 0 ? Promise.resolve(true) : canListen(base + offset))),
    );
    if (free.every(Boolean)) {
      for (const offset of offsets) handedOut.add(base + offset);
      return base;
    }
  }
  throw new Error(`no free ports at offsets ${offsets.join(', ')} from one base in 200 attempts`);
}
