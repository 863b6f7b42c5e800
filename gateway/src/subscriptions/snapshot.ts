import type { Supergraph } from '@apollo/federation-internals';

/**
 * Identity (the `@link` URL without its version) of Tonegraph's subscription
 * spec. A subgraph imports `@snapshot` from it and keeps it in the supergraph
 * with `@composeDirective` (schema/catalog.graphql does, for `importProgress`).
 */
export const SUBSCRIPTIONS_SPEC = 'https://tonegraph.dev/subscriptions';

/**
 * Subscription fields marked `@snapshot` in the supergraph: every event is
 * the whole current state (an import job's progress), so a subscriber
 * joining a shared upstream gets the latest event at once, as a fresh
 * upstream subscription would send it. Other fields are streams of distinct
 * events: a joiner gets what comes next. The directive is found through the
 * supergraph's `@link`, so a subgraph importing it under another name
 * (`import: [{ name: "@snapshot", as: "@latest" }]`) is read the same.
 */
export function snapshotFieldsOf(supergraph: Supergraph): ReadonlySet<string> {
  const feature = supergraph.schema.coreFeatures?.getByIdentity(SUBSCRIPTIONS_SPEC);
  const root = supergraph.schema.schemaDefinition.rootType('subscription');
  if (!feature || !root) return new Set();
  const name = feature.directiveNameInSchema('snapshot');
  return new Set(
    root
      .fields()
      .filter((field) => field.appliedDirectivesOf(name).length > 0)
      .map((field) => field.name),
  );
}
