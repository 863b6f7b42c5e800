import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { errorsOf, formatErrors, type FormatError } from './errors.ts';
import type { SubscriptionExecutor } from './executor.ts';
import { isRequestErrors, type PreparedSubscription, type SubscriptionPlanner } from './plan.ts';

export interface WsServerDeps {
  readonly httpServer: Server;
  /** Same path as HTTP queries: clients and Sandbox use one URL for everything. */
  readonly path: string;
  readonly planner: SubscriptionPlanner;
  readonly executor: SubscriptionExecutor;
  readonly formatError: FormatError;
}

/** The plan travels from `onSubscribe` to `subscribe` as the operation's context value. */
const preparedOf = (args: ExecutionArgs) =>
  (args.contextValue as { prepared: PreparedSubscription }).prepared;

/**
 * graphql-ws (graphql-transport-ws protocol) on the HTTP server's path.
 * Returns `dispose`, which closes every client with 1001 Going away.
 */
export function createWsServer(deps: WsServerDeps): { dispose(): Promise<void> } {
  const { planner, executor, formatError } = deps;
  // Same bound on a message as express.json puts on an HTTP body (ws defaults to 100 MiB).
  const wss = new WebSocketServer({ server: deps.httpServer, path: deps.path, maxPayload: 1024 * 1024 });
  const server = useServer(
    {
      onSubscribe: (_ctx, _id, payload) => {
        const prepared = planner.prepare(payload);
        if (isRequestErrors(prepared)) return prepared;
        const ready = prepared;
        return {
          schema: ready.schemas.api,
          document: ready.document,
          operationName: payload.operationName,
          variableValues: ready.variables,
          contextValue: { prepared: ready },
        };
      },
      subscribe: (args) => executor.run(preparedOf(args)),
      // onSubscribe lets only subscriptions through; this is never reached.
      execute: () => ({ errors: [] }),
      onNext: (_ctx, _id, _payload, _args, result) => ({
        ...result,
        ...(result.errors ? { errors: formatErrors(result.errors, formatError) } : {}),
      }),
      // Errors thrown by the event iterator arrive wrapped; send the subgraph's or the gateway's own.
      onError: (_ctx, _id, _payload, errors) => formatErrors(errors.flatMap(errorsOf), formatError),
    },
    wss,
  );
  return { dispose: async () => server.dispose() };
}
