import type { GraphQLDataSource } from '@apollo/gateway';
import type { ExecutionResult } from 'graphql';
import type { Logger } from '@tonegraph/logger';
import { SubscriptionError, isFormattedErrors } from './errors.ts';
import { createEventQueue } from './event-queue.ts';
import { resolveEvent } from './execute.ts';
import type { PreparedSubscription } from './plan.ts';
import type { Upstream, UpstreamEvent } from './upstream.ts';

/** Events buffered per client subscription while earlier ones resolve; beyond it the oldest is dropped. */
const EVENT_BUFFER = 64;

export interface SubscriptionExecutor {
  /**
   * Runs a prepared subscription: one upstream subscription on the owning
   * subgraph, and for each of its events the rest of the plan. The iterator
   * ends when the upstream completes, throws a SubscriptionError when it
   * fails, and closes the upstream subscription on `return()`.
   */
  run(prepared: PreparedSubscription): AsyncGenerator<ExecutionResult, undefined>;
  /** Client subscriptions currently running (both transports). */
  readonly active: number;
  /** Ends every running subscription with SHUTTING_DOWN; later `run`s fail at once. Idempotent. */
  close(): void;
}

export function createSubscriptionExecutor(deps: {
  upstream: Upstream;
  dataSources: ReadonlyMap<string, GraphQLDataSource>;
  log: Logger;
}): SubscriptionExecutor {
  const { upstream, dataSources, log } = deps;
  const running = new Set<(error: SubscriptionError) => void>();
  let closed = false;

  function run(prepared: PreparedSubscription): AsyncGenerator<ExecutionResult, undefined> {
    const { primary } = prepared;
    const serviceName = primary.serviceName;
    const queue = createEventQueue<UpstreamEvent>(EVENT_BUFFER);
    const variables = Object.fromEntries(
      (primary.variableUsages ?? [])
        .filter((name) => prepared.variables[name] !== undefined)
        .map((name) => [name, prepared.variables[name]]),
    );
    const abort = (error: SubscriptionError) => queue.fail(error);
    let unsubscribe = () => {};
    let first = true;
    if (closed) queue.fail(SubscriptionError.shuttingDown());
    else {
      running.add(abort);
      unsubscribe = upstream.subscribe(
        serviceName,
        { query: primary.operation, operationName: primary.operationName, variables },
        {
          next: (event) => {
            // A subgraph that refuses a subscription (bad argument, failed
            // subscribe resolver) answers with one result without data, then
            // completes: that is the operation's error, not an event.
            if (first && event.errors?.length && event.data == null) {
              queue.fail(SubscriptionError.fromSubgraph(serviceName, event.errors));
            } else queue.push(event);
            first = false;
          },
          error: (error: unknown) => {
            if (isFormattedErrors(error)) {
              queue.fail(SubscriptionError.fromSubgraph(serviceName, error));
            } else {
              log.warn({ subgraph: serviceName, err: error }, 'subgraph subscription lost');
              queue.fail(SubscriptionError.unavailable(serviceName));
            }
          },
          complete: () => queue.end(),
        },
      );
    }
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      running.delete(abort);
      unsubscribe();
      queue.close();
      if (queue.dropped > 0)
        log.info({ subgraph: serviceName, dropped: queue.dropped }, 'slow subscriber: events dropped');
    };
    const done = { done: true, value: undefined } as const;

    // A hand-written iterator rather than an async generator: `return()` must
    // take effect while `next()` is still waiting for an event.
    const iterator: AsyncGenerator<ExecutionResult, undefined> = {
      async next() {
        if (finished) return done;
        let event: UpstreamEvent | undefined;
        try {
          event = await queue.pull();
        } catch (error) {
          finish();
          throw error;
        }
        if (event === undefined) {
          finish();
          return done;
        }
        try {
          return { done: false, value: await resolveEvent(prepared, event, dataSources, log) };
        } catch (error) {
          // A consumer does not call return() after next() rejects: release the upstream here.
          finish();
          throw error;
        }
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
    close() {
      if (closed) return;
      closed = true;
      const error = SubscriptionError.shuttingDown();
      for (const abort of running) abort(error);
    },
  };
}
