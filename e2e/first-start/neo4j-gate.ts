// The first-start scenario's hold on Neo4j: an empty graph, and a gate that
// keeps the graph's schema from being created until every process that
// writes the graph has reached Neo4j, so that on each round they arrive at
// the schema together, as they did on a fresh machine where `npm start`
// crashed. Linux /proc tells which processes hold a Bolt connection.
import { readFile, readdir } from 'node:fs/promises';
import type { Driver } from 'neo4j-driver';
import { holdsSocket, tcpSockets } from '../support/proc.ts';

/** Drops every constraint and index but Neo4j's own token lookups, and every node: an empty Neo4j. */
export async function emptyNeo4j(graph: Driver): Promise<void> {
  await graph.executeQuery('MATCH (n) DETACH DELETE n');
  // Constraints first: their indexes go with them.
  const { records: constraints } = await graph.executeQuery('SHOW CONSTRAINTS YIELD name');
  for (const r of constraints) await graph.executeQuery(`DROP CONSTRAINT \`${r.get('name') as string}\``);
  const { records: indexes } = await graph.executeQuery(
    "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'",
  );
  for (const r of indexes) await graph.executeQuery(`DROP INDEX \`${r.get('name') as string}\``);
}

export interface Gate {
  /** Rolls the holding transaction back (nothing was written); idempotent. */
  release(): Promise<void>;
}

/**
 * Holds Neo4j's lock on the Track label: a transaction that created a Track
 * node and is not committed. Creating a constraint or an index on Track
 * waits for it, while reading the schema (SHOW CONSTRAINTS) does not.
 */
export async function holdTrackLabel(graph: Driver): Promise<Gate> {
  const session = graph.session();
  const tx = await session.beginTransaction();
  await tx.run("CREATE (:Track {id: 'first-start-gate'})");
  let released: Promise<void> | undefined;
  return {
    release() {
      released ??= tx.rollback().finally(() => session.close());
      return released;
    },
  };
}

/** The pids whose parent is `parent` (Linux /proc). */
async function childrenOf(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

/** How many children of `parent` hold an established TCP connection to local port `port`. */
export async function clientsOf(parent: number, port: number): Promise<number> {
  const inodes = await tcpSockets(port, { state: '01', remote: true });
  let clients = 0;
  for (const pid of await childrenOf(parent)) if (await holdsSocket(pid, inodes)) clients++;
  return clients;
}
