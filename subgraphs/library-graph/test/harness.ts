import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Driver, ManagedTransaction, Session } from 'neo4j-driver';
import { createLogger } from '@tonegraph/logger';
import { testServices } from '@tonegraph/testing';
import { createDriver } from '../src/driver.ts';
import { createServer } from '../src/server.ts';
import { createGraphSync, type GraphSync, type TrackGraphInput } from '../src/sync.ts';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T;
  errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
}

/** Cypher statements sent through a driver, as its sessions and transactions ran them. */
export interface QueryLog {
  readonly statements: string[];
  reset(): void;
}

// Counts at the Bolt API the application uses: every `run` of a session or
// of a managed transaction is one statement sent to Neo4j.
function countingTx(tx: ManagedTransaction, log: string[]): ManagedTransaction {
  return new Proxy(tx, {
    get(target, prop, receiver) {
      if (prop === 'run') {
        return (query: string, ...rest: unknown[]) => {
          log.push(query);
          return (target.run as (...a: unknown[]) => unknown).call(target, query, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function countingSession(session: Session, log: string[]): Session {
  return new Proxy(session, {
    get(target, prop) {
      if (prop === 'executeRead' || prop === 'executeWrite') {
        return (work: (tx: ManagedTransaction) => unknown, config?: unknown) =>
          target[prop]((tx) => work(countingTx(tx, log)), config as never);
      }
      if (prop === 'run') {
        return (query: string, ...rest: unknown[]) => {
          log.push(query);
          return (target.run as (...a: unknown[]) => unknown).call(target, query, ...rest);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `driver` with every statement recorded in the returned log. */
export function countingDriver(driver: Driver): { driver: Driver; log: QueryLog } {
  const statements: string[] = [];
  const wrapped = new Proxy(driver, {
    get(target, prop) {
      if (prop === 'session') {
        return (...args: Parameters<Driver['session']>) =>
          countingSession(target.session(...args), statements);
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { driver: wrapped, log: { statements, reset: () => void statements.splice(0) } };
}

export interface Harness {
  readonly url: string;
  readonly driver: Driver;
  readonly sync: GraphSync;
  /** Statements the subgraph sent to Neo4j (the sync's are not counted). */
  readonly queries: QueryLog;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphQLResponse<T>>;
  /** Removes every track of the library through the sync (and so everything only they used). */
  cleanupLibrary(libraryId: string): Promise<void>;
  close(): Promise<void>;
}

/** A library-graph subgraph on port 0 over the shared Neo4j, with a sync on its own driver. */
export async function startLibraryGraph(): Promise<Harness> {
  const base = createDriver(testServices().NEO4J_URL, { poolSize: 20 });
  const { driver, log } = countingDriver(base);
  const sync = createGraphSync(base);
  await sync.ensureSchema();
  const server = await createServer({
    driver,
    log: createLogger({ service: 'library-graph-test', level: 'silent' }),
  });
  await new Promise<void>((resolve) => server.httpServer.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.httpServer.address() as AddressInfo).port}/graphql`;
  return {
    url,
    driver: base,
    sync,
    queries: log,
    async gql<T>(query: string, variables?: Record<string, unknown>) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as GraphQLResponse<T>;
    },
    async cleanupLibrary(libraryId) {
      const { records } = await base.executeQuery(
        'MATCH (t:Track {libraryId: $libraryId}) RETURN collect(t.id) AS ids',
        { libraryId },
      );
      await sync.removeTracks((records[0]?.get('ids') as string[] | undefined) ?? []);
    },
    async close() {
      await server.stop();
      await sync.close();
      await base.close();
    },
  };
}

/**
 * Builds tracks of a fresh library with random ids (so runs never share
 * nodes); genre names carry a random suffix for the same reason.
 */
export function createFixture() {
  const libraryId = randomUUID();
  const suffix = randomUUID().slice(0, 8);
  const artists = new Map<string, string>();
  return {
    libraryId,
    /** The id of the artist called `name` in this fixture. */
    artist(name: string): string {
      let id = artists.get(name);
      if (!id) artists.set(name, (id = randomUUID()));
      return id;
    },
    genre: (name: string) => `${name}-${suffix}`,
    track(input: Partial<TrackGraphInput> & Pick<TrackGraphInput, 'artists'>): TrackGraphInput {
      return { id: randomUUID(), title: 'untitled', libraryId, album: null, genres: [], ...input };
    },
  };
}

/** Counts of the nodes and edges hanging off a library (for idempotence checks). */
export async function libraryCounts(driver: Driver, libraryId: string) {
  const { records } = await driver.executeQuery(
    `MATCH (l:Library {id: $libraryId})<-[:IN_LIBRARY]-(t:Track)
     OPTIONAL MATCH (t)-[r]-(n)
     WITH t, r, n
     RETURN count(DISTINCT t) AS tracks, count(DISTINCT n) AS neighbours, count(DISTINCT r) AS edges,
            collect(DISTINCT type(r)) AS types`,
    { libraryId },
  );
  const r = records[0]!;
  return {
    tracks: Number(r.get('tracks')),
    neighbours: Number(r.get('neighbours')),
    edges: Number(r.get('edges')),
  };
}
