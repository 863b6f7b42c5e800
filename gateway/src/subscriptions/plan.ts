import { buildOperationContext } from '@apollo/gateway';
import { type Schema, Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { type FetchNode, type PlanNode, QueryPlanner } from '@apollo/query-planner';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  OperationTypeNode,
  getOperationAST,
  parse,
  validate,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { ErrorCode } from './errors.ts';
import { snapshotFieldsOf } from './snapshot.ts';

/** @apollo/gateway's operation context (its type is not exported). */
export type OperationContext = ReturnType<typeof buildOperationContext>;

/** What a client sends: the same three fields over graphql-ws and SSE. */
export interface SubscriptionRequest {
  readonly query: string;
  readonly operationName?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/** A validated, planned subscription, ready to run. */
export interface PreparedSubscription {
  readonly request: SubscriptionRequest;
  readonly document: DocumentNode;
  readonly variables: Readonly<Record<string, unknown>>;
  /** The root field's fetch, sent over graphql-ws to the subgraph that owns it. */
  readonly primary: FetchNode;
  /** Fetches to the other subgraphs, run for every event; absent when the owner has every field. */
  readonly rest: PlanNode | undefined;
  readonly operationContext: OperationContext;
  /** The root field is marked `@snapshot` in the supergraph (snapshot.ts): a joiner gets the latest event. */
  readonly snapshot: boolean;
  /** The supergraph this plan was made for: `rest` runs against the same one. */
  readonly schemas: Schemas;
}

export interface Schemas {
  /** The API schema as graphql-js sees it (what clients validate against). */
  readonly api: GraphQLSchema;
  /** The API schema as the query planner sees it. */
  readonly apiInternal: Schema;
  /** The whole supergraph, with its join directives (executeQueryPlan rewrites by it). */
  readonly supergraph: GraphQLSchema;
  readonly planner: QueryPlanner;
  /** Subscription fields marked `@snapshot` (snapshot.ts). */
  readonly snapshotFields: ReadonlySet<string>;
}

/** The plan travels from `onSubscribe` to `subscribe` as the operation's context value (both transports). */
export const preparedOf = (args: ExecutionArgs): PreparedSubscription =>
  (args.contextValue as { prepared: PreparedSubscription }).prepared;

/** Request errors, as `prepare` returns them instead of a plan. */
export const isRequestErrors = (
  value: PreparedSubscription | readonly GraphQLError[],
): value is readonly GraphQLError[] => Array.isArray(value);

/** Plans kept per (operation name, query text); a supergraph update drops them. */
const PLAN_CACHE_SIZE = 500;

/**
 * Turns a client's subscription request into a plan. @apollo/gateway keeps
 * its planner private, so this keeps its own, rebuilt from the same SDL on
 * every supergraph load (`ApolloGateway.onSchemaLoadOrUpdate`).
 */
export class SubscriptionPlanner {
  #schemas: Schemas | undefined;
  #cache = new Map<string, Omit<PreparedSubscription, 'request' | 'variables'>>();

  /** Called with the supergraph SDL and API schema each time the gateway loads one. */
  update(supergraphSdl: string, apiSchema: GraphQLSchema): void {
    const supergraph = Supergraph.build(supergraphSdl);
    this.#schemas = {
      api: apiSchema,
      apiInternal: supergraph.apiSchema(),
      supergraph: supergraph.schema.toGraphQLJSSchema(),
      planner: new QueryPlanner(supergraph),
      snapshotFields: snapshotFieldsOf(supergraph),
    };
    this.#cache.clear();
  }

  /** Validates and plans a request; request errors come back as an array, never thrown. */
  prepare(request: SubscriptionRequest): PreparedSubscription | readonly GraphQLError[] {
    const schemas = this.#schemas;
    if (!schemas) return [requestError('The gateway has not loaded its schema yet', ErrorCode.NotReady)];
    const key = `${request.operationName ?? ''}\n${request.query}`;
    let planned = this.#cache.get(key);
    if (!planned) {
      const result = plan(schemas, request);
      if ('length' in result) return result;
      planned = result;
      if (this.#cache.size >= PLAN_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(key, planned);
    }
    const operation = planned.operationContext.operation;
    const coerced = getVariableValues(schemas.api, operation.variableDefinitions ?? [], {
      ...request.variables,
    });
    if (coerced.errors) {
      return coerced.errors.map((e) => requestError(e.message, ErrorCode.BadUserInput));
    }
    return { ...planned, request, variables: request.variables ?? {} };
  }
}

function plan(
  schemas: Schemas,
  request: SubscriptionRequest,
): Omit<PreparedSubscription, 'request' | 'variables'> | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(request.query);
  } catch (error) {
    return [requestError((error as Error).message, ErrorCode.ParseFailed)];
  }
  const invalid = validate(schemas.api, document);
  if (invalid.length > 0) return invalid.map((e) => requestError(e.message, ErrorCode.ValidationFailed));
  const operationName = request.operationName ?? undefined;
  const operation = getOperationAST(document, operationName);
  if (!operation)
    return [requestError('Unable to identify the operation to run', ErrorCode.ValidationFailed)];
  if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
    return [
      requestError(
        `Only subscriptions are served here; send ${operation.operation} operations as HTTP POST to /graphql`,
        ErrorCode.OperationNotSupported,
      ),
    ];
  }
  let node;
  try {
    node = schemas.planner.buildQueryPlan(
      operationFromDocument(
        schemas.apiInternal,
        document,
        operationName === undefined ? {} : { operationName },
      ),
    ).node;
  } catch (error) {
    // The planner's limits (recursive or non-local selections) and its own checks. Returned, not
    // thrown: a throw in graphql-ws's onSubscribe would close the client's whole socket.
    return [
      error instanceof GraphQLError
        ? error
        : new GraphQLError('The subscription could not be planned', { originalError: error as Error }),
    ];
  }
  if (node?.kind !== 'Subscription') {
    return [requestError('The subscription could not be planned', ErrorCode.ValidationFailed)];
  }
  const root = operation.selectionSet.selections[0];
  return {
    document,
    primary: node.primary,
    rest: node.rest,
    operationContext: buildOperationContext({
      schema: schemas.api,
      operationDocument: document,
      ...(operationName === undefined ? {} : { operationName }),
    }),
    snapshot: root?.kind === Kind.FIELD && schemas.snapshotFields.has(root.name.value),
    schemas,
  };
}

function requestError(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}
