import type { ExecutionResult, GraphQLError } from 'graphql';
import type { RequestHandler } from 'express';
import { createHandler } from 'graphql-sse/lib/use/express';
import { errorsOf, formatErrors, type FormatError } from './errors.ts';
import type { SubscriptionExecutor } from './executor.ts';
import { isRequestErrors, preparedOf, type PreparedSubscription, type SubscriptionPlanner } from './plan.ts';

export interface SseDeps {
  readonly planner: SubscriptionPlanner;
  readonly executor: SubscriptionExecutor;
  readonly formatError: FormatError;
  /** Extra checks on a prepared subscription (operation limits); errors refuse it. */
  readonly guard?: ((prepared: PreparedSubscription) => GraphQLError | undefined) | undefined;
  readonly onReject?: ((code: string) => void) | undefined;
}

/**
 * SSE has no error message of its own: an error that ends the subscription
 * becomes a last `next` event carrying the errors, then `complete`. Written
 * by hand, not as an async generator, so that `return()` (the client went
 * away) reaches the executor's iterator while it waits for an event.
 */
function endWithErrors(
  events: AsyncGenerator<ExecutionResult, undefined>,
): AsyncGenerator<ExecutionResult, undefined> {
  let ended = false;
  const done = { done: true, value: undefined } as const;
  return {
    async next() {
      if (ended) return done;
      try {
        return await events.next();
      } catch (error) {
        ended = true;
        return { done: false, value: { data: null, errors: errorsOf(error) } };
      }
    },
    return() {
      ended = true;
      return events.return(undefined);
    },
    throw(error: unknown) {
      ended = true;
      return events.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    [Symbol.asyncDispose]() {
      return events.return(undefined).then(() => {});
    },
  };
}

/**
 * graphql-sse in "distinct connections" mode: each subscription is one
 * request with `Accept: text/event-stream` (POST with a JSON body, or GET
 * with query parameters); closing the response ends the subscription.
 */
export function createSseHandler(deps: SseDeps): RequestHandler {
  const { planner, executor, formatError } = deps;
  const handler = createHandler({
    onSubscribe: (_req, params) => {
      const prepared = planner.prepare({
        query: typeof params.query === 'string' ? params.query : '',
        operationName: params.operationName,
        variables: params.variables,
      });
      if (isRequestErrors(prepared)) return { data: null, errors: prepared };
      const refused = deps.guard?.(prepared);
      if (refused) {
        deps.onReject?.(String(refused.extensions.code));
        return { data: null, errors: [refused] };
      }
      const ready = prepared;
      return {
        schema: ready.schemas.api,
        document: ready.document,
        operationName: params.operationName,
        variableValues: ready.variables,
        contextValue: { prepared: ready },
      };
    },
    subscribe: (args) => endWithErrors(executor.run(preparedOf(args))),
    execute: () => ({ errors: [] }),
    onNext: (_ctx, _req, result) =>
      'errors' in result && result.errors
        ? ({ ...result, errors: formatErrors(result.errors, formatError) } as unknown as ExecutionResult)
        : undefined,
  });
  return (req, res, next) => {
    handler(req, res).catch(next);
  };
}
