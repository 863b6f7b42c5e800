import type { GraphQLDataSource } from '@apollo/gateway';
import type { ExecutionResult } from 'graphql';
import type { Logger } from '@tonegraph/logger';
import { SubscriptionError, isFormattedErrors } from './errors.ts';
import { createEventQueue, type EventQueue } from './event-queue.ts';
import { resolveEvent } from './execute.ts';
import type { PreparedSubscription } from './plan.ts';
import type { Upstream, UpstreamEvent } from './upstream.ts';

/** Events buffered per client subscription (and per shared resolution) ; beyond it the oldest is dropped. */
const EVENT_BUFFER = 64;

export interface SubscriptionExecutor {
  /**
   * Runs a prepared subscription: its events come from the owning subgraph,
   * and for each the rest of the plan runs. The iterator ends when the
   * upstream completes, throws a SubscriptionError when it fails, and leaves
   * the upstream subscription on `return()`.
   */
  run(prepared: PreparedSubscription): AsyncGenerator<ExecutionResult, undefined>;
  /** Client subscriptions currently running (both transports). */
  readonly active: number;
  /** Shared upstream subscriptions and shared resolutions, currently (tests, metrics). */
  readonly shared: { readonly upstream: number; readonly resolutions: number };
  /** Ends every running subscription with SHUTTING_DOWN; later `run`s fail at once. Idempotent. */
  close(): void;
}

/** One client subscription: the results meant for it. */
type Member = EventQueue<ExecutionResult>;

/** Client subscriptions with the same document and variables: each event is resolved once for all. */
interface Resolution {
  readonly prepared: PreparedSubscription;
  readonly members: Set<Member>;
  /** Events waiting to be resolved, in order (bounded: the oldest go first). */
  readonly pending: UpstreamEvent[];
  busy: boolean;
  /** The last result, for a snapshot field's late joiners. */
  last: ExecutionResult | undefined;
}

/** One upstream subscription (same subgraph, root-field operation and arguments), shared. */
interface Shared {
  readonly resolutions: Map<string, Resolution>;
  /** The root field is `@snapshot` (snapshot.ts): every event is the whole state, joiners get the latest. */
  readonly snapshot: boolean;
  /** The latest event, for a snapshot field's new resolutions. */
  last: UpstreamEvent | undefined;
  first: boolean;
  unsubscribe: () => void;
}

/**
 * Client subscriptions that ask the same thing share the work: one upstream
 * subscription per (subgraph, root-field operation, its arguments), and one
 * resolution of every event per (document, variables), fanned out to each
 * client's bounded queue. A thousand clients following one import cost one
 * upstream subscription and one query-plan execution per event, not a
 * thousand. Errors and completion reach every client of the share.
 */
export function createSubscriptionExecutor(deps: {
  upstream: Upstream;
  dataSources: ReadonlyMap<string, GraphQLDataSource>;
  log: Logger;
}): SubscriptionExecutor {
  const { upstream, dataSources, log } = deps;
  const running = new Set<Member>();
  const shares = new Map<string, Shared>();
  let closed = false;

  const membersOf = (shared: Shared) => [...shared.resolutions.values()].flatMap((r) => [...r.members]);

  /** Resolves a resolution's pending events one after another, each once for all its members. */
  const drain = async (resolution: Resolution, serviceName: string) => {
    if (resolution.busy) return;
    resolution.busy = true;
    try {
      for (let event = resolution.pending.shift(); event; event = resolution.pending.shift()) {
        if (resolution.members.size === 0) return;
        let result: ExecutionResult;
        try {
          result = await resolveEvent(resolution.prepared, event, dataSources, log);
        } catch (error) {
          log.warn({ subgraph: serviceName, err: error }, 'subscription event not resolved');
          const failure =
            error instanceof SubscriptionError ? error : SubscriptionError.unavailable(serviceName);
          for (const m of resolution.members) m.fail(failure);
          return;
        }
        resolution.last = result;
        for (const m of resolution.members) m.push(result);
      }
    } finally {
      resolution.busy = false;
    }
  };

  const deliver = (shared: Shared, serviceName: string, event: UpstreamEvent) => {
    if (shared.snapshot) shared.last = event;
    for (const resolution of shared.resolutions.values()) {
      if (resolution.pending.length >= EVENT_BUFFER) resolution.pending.shift();
      resolution.pending.push(event);
      void drain(resolution, serviceName);
    }
  };

  function join(prepared: PreparedSubscription, member: Member): () => void {
    const { primary } = prepared;
    const serviceName = primary.serviceName;
    const variables = Object.fromEntries(
      (primary.variableUsages ?? [])
        .filter((name) => prepared.variables[name] !== undefined)
        .map((name) => [name, prepared.variables[name]]),
    );
    const upstreamKey = JSON.stringify([serviceName, primary.operation, primary.operationName, variables]);
    const resolutionKey = JSON.stringify([
      prepared.request.query,
      prepared.request.operationName ?? null,
      prepared.variables,
    ]);

    let shared = shares.get(upstreamKey);
    if (!shared) {
      const created: Shared = {
        resolutions: new Map(),
        snapshot: prepared.snapshot,
        last: undefined,
        first: true,
        unsubscribe: () => {},
      };
      shared = created;
      shares.set(upstreamKey, created);
      const end = (fn: (m: Member) => void) => {
        if (shares.get(upstreamKey) === created) shares.delete(upstreamKey);
        for (const m of membersOf(created)) fn(m);
      };
      created.unsubscribe = upstream.subscribe(
        serviceName,
        { query: primary.operation, operationName: primary.operationName, variables },
        {
          next: (event) => {
            // A subgraph that refuses a subscription (bad argument, failed
            // subscribe resolver) answers with one result without data, then
            // completes: that is the operation's error, not an event.
            if (created.first && event.errors?.length && event.data == null) {
              const error = SubscriptionError.fromSubgraph(serviceName, event.errors);
              end((m) => m.fail(error));
            } else deliver(created, serviceName, event);
            created.first = false;
          },
          error: (error: unknown) => {
            let failure: SubscriptionError;
            if (isFormattedErrors(error)) failure = SubscriptionError.fromSubgraph(serviceName, error);
            else {
              log.warn({ subgraph: serviceName, err: error }, 'subgraph subscription lost');
              failure = SubscriptionError.unavailable(serviceName);
            }
            end((m) => m.fail(failure));
          },
          // Members end once their resolution has delivered what it was given.
          complete: () => {
            if (shares.get(upstreamKey) === created) shares.delete(upstreamKey);
            for (const resolution of created.resolutions.values()) {
              const finish = async () => {
                while (resolution.busy || resolution.pending.length > 0) {
                  await drain(resolution, serviceName);
                  await new Promise((r) => setImmediate(r));
                }
                for (const m of resolution.members) m.end();
              };
              void finish();
            }
          },
        },
      );
    }

    let resolution = shared.resolutions.get(resolutionKey);
    if (!resolution) {
      resolution = { prepared, members: new Set(), pending: [], busy: false, last: undefined };
      shared.resolutions.set(resolutionKey, resolution);
      resolution.members.add(member);
      // A snapshot field's latest state, resolved for this document.
      if (shared.snapshot && shared.last) {
        resolution.pending.push(shared.last);
        void drain(resolution, serviceName);
      }
    } else {
      resolution.members.add(member);
      if (shared.snapshot && resolution.last && !resolution.busy && resolution.pending.length === 0)
        member.push(resolution.last);
    }

    const current = shared;
    const mine = resolution;
    return () => {
      mine.members.delete(member);
      if (mine.members.size === 0 && current.resolutions.get(resolutionKey) === mine) {
        current.resolutions.delete(resolutionKey);
        mine.pending.length = 0;
      }
      if (current.resolutions.size === 0) {
        if (shares.get(upstreamKey) === current) shares.delete(upstreamKey);
        current.unsubscribe();
      }
    };
  }

  function run(prepared: PreparedSubscription): AsyncGenerator<ExecutionResult, undefined> {
    const queue = createEventQueue<ExecutionResult>(EVENT_BUFFER);
    let leave = () => {};
    if (closed) queue.fail(SubscriptionError.shuttingDown());
    else {
      running.add(queue);
      leave = join(prepared, queue);
    }
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      running.delete(queue);
      leave();
      queue.close();
      if (queue.dropped > 0)
        log.info(
          { subgraph: prepared.primary.serviceName, dropped: queue.dropped },
          'slow subscriber: events dropped',
        );
    };
    const done = { done: true, value: undefined } as const;

    // A hand-written iterator rather than an async generator: `return()` must
    // take effect while `next()` is still waiting for an event.
    const iterator: AsyncGenerator<ExecutionResult, undefined> = {
      async next() {
        if (finished) return done;
        let result: ExecutionResult | undefined;
        try {
          result = await queue.pull();
        } catch (error) {
          // A consumer does not call return() after next() rejects: leave the share here.
          finish();
          throw error;
        }
        if (result === undefined) {
          finish();
          return done;
        }
        return { done: false, value: result };
      },
      return() {
        finish();
        return Promise.resolve(done);
      },
      throw(error: unknown) {
        finish();
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      },
      [Symbol.asyncIterator]() {
        return this;
      },
      [Symbol.asyncDispose]() {
        finish();
        return Promise.resolve();
      },
    };
    return iterator;
  }

  return {
    run,
    get active() {
      return running.size;
    },
    get shared() {
      let resolutions = 0;
      for (const s of shares.values()) resolutions += s.resolutions.size;
      return { upstream: shares.size, resolutions };
    },
    close() {
      if (closed) return;
      closed = true;
      const error = SubscriptionError.shuttingDown();
      for (const queue of running) queue.fail(error);
    },
  };
}
