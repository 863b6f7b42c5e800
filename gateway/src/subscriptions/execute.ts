import { type GraphQLDataSource, executeQueryPlan } from '@apollo/gateway';
import type { FetchNode, QueryPlan } from '@apollo/query-planner';
import { type ExecutionResult, GraphQLError } from 'graphql';
import type { Logger } from '@tonegraph/logger';
import type { PreparedSubscription } from './plan.ts';
import type { UpstreamEvent } from './upstream.ts';

type RequestContext = Parameters<typeof executeQueryPlan>[2];
type ServiceMap = Parameters<typeof executeQueryPlan>[1];

/**
 * A service name no subgraph can have (GraphQL enum values cannot start
 * with two underscores), standing for "the event that just arrived".
 */
const EVENT_SOURCE = '__subscription_event__';

/**
 * Resolves one event of a subscription into the client's payload.
 *
 * @apollo/gateway's `executeQueryPlan` refuses a plan rooted at a
 * `Subscription` node, and it builds its result object itself, so it cannot
 * be handed the event as initial data. But a plan of `Sequence [primary,
 * rest]` runs fine — and `primary` is an ordinary FetchNode. Pointing it at
 * a data source that answers with the event turns the upstream event into
 * the result of the first fetch; `executeQueryPlan` then does exactly what
 * it does for a query: applies primary's output rewrites, runs the entity
 * fetches of `rest` (batched, in parallel where planned) against the real
 * subgraphs, maps their errors to response paths and shapes the response
 * (aliases, `__typename`, @skip/@include, nullability) for the client.
 */
export async function resolveEvent(
  prepared: PreparedSubscription,
  event: UpstreamEvent,
  dataSources: ReadonlyMap<string, GraphQLDataSource>,
  log: Logger,
): Promise<ExecutionResult> {
  const seed: FetchNode = { ...prepared.primary, serviceName: EVENT_SOURCE };
  const plan: QueryPlan = {
    kind: 'QueryPlan',
    node: prepared.rest ? { kind: 'Sequence', nodes: [seed, prepared.rest] } : seed,
  };
  const eventSource = {
    process: () => Promise.resolve(event),
  } as unknown as GraphQLDataSource;
  const serviceMap: ServiceMap = Object.assign(
    Object.create(null) as ServiceMap,
    Object.fromEntries(dataSources),
    {
      [EVENT_SOURCE]: eventSource,
    },
  );
  const { request } = prepared;
  // The subset of Apollo Server's request context that executeQueryPlan and
  // RemoteGraphQLDataSource read (variables, logger, metrics for error paths).
  const requestContext = {
    request: {
      query: request.query,
      operationName: request.operationName ?? undefined,
      variables: prepared.variables,
    },
    document: prepared.document,
    operation: prepared.operationContext.operation,
    operationName: request.operationName ?? null,
    logger: log,
    metrics: {},
    context: {},
    cache: undefined,
    overallCachePolicy: undefined,
  } as unknown as RequestContext;
  const result: ExecutionResult = await executeQueryPlan(
    plan,
    serviceMap,
    requestContext,
    prepared.operationContext,
    prepared.schemas.supergraph,
    prepared.schemas.apiInternal,
  );
  if (!result.errors) return result;
  // Errors of the seed fetch name the stand-in service; name the subgraph the event came from.
  const errors = result.errors.map((e) =>
    e.extensions.serviceName === EVENT_SOURCE
      ? new GraphQLError(e.message, {
          ...(e.nodes ? { nodes: e.nodes } : {}),
          ...(e.path ? { path: e.path } : {}),
          ...(e.originalError ? { originalError: e.originalError } : {}),
          extensions: { ...e.extensions, serviceName: prepared.primary.serviceName },
        })
      : e,
  );
  return { ...result, errors };
}
