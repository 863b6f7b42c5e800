import { z } from 'zod';
import { env, loadConfig } from '@tonegraph/config';

const schema = z.object({
  /** Tonegraph's GraphQL endpoint (the gateway); subscriptions use the same URL over WebSocket. */
  TONEGRAPH_URL: env.url(['http', 'https']).default('http://127.0.0.1:4000/graphql'),
  /** API key or JWT, sent as a bearer token when set. */
  TONEGRAPH_API_KEY: z.string().min(1).optional(),
});

export type CliConfig = z.output<typeof schema>;

export const loadCliConfig = (): CliConfig => loadConfig('tonegraph', schema);
