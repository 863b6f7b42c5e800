import { parseConfig, servicesSchema, type ServicesConfig } from '@tonegraph/config';

let cached: ServicesConfig | undefined;

/**
 * The service URLs tests run against, from the environment that
 * `npm test` (the stack's `exec`) sets. Throws with every missing URL named.
 */
export function testServices(): ServicesConfig {
  cached ??= parseConfig('tests', servicesSchema, process.env);
  return cached;
}
