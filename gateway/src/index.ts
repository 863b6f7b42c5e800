import { readFile } from 'node:fs/promises';
import { createLifecycle } from '@tonegraph/lifecycle';
import { createLogger } from '@tonegraph/logger';
import { loadGatewayConfig, subgraphUrlOverrides } from './config.ts';
import { createServer } from './server.ts';

const config = loadGatewayConfig();
const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
const lifecycle = createLifecycle({ log });
lifecycle.handleSignals();

const supergraphSdl = await readFile(config.SUPERGRAPH_PATH, 'utf8');
const gateway = createServer({
  supergraphSdl,
  subgraphUrls: subgraphUrlOverrides(config),
  subgraphTimeoutMs: config.SUBGRAPH_TIMEOUT_MS,
  development: config.TONEGRAPH_ENV === 'development',
  log,
});
await gateway.start();
lifecycle.defer('gateway', () => gateway.stop());

await new Promise<void>((resolve, reject) => {
  gateway.httpServer.once('error', reject);
  gateway.httpServer.listen(config.PORT, config.HOST, resolve);
});
log.info(
  {
    url: `http://${config.HOST}:${config.PORT}/graphql`,
    subscriptions: [
      `ws://${config.HOST}:${config.PORT}/graphql`,
      `http://${config.HOST}:${config.PORT}/graphql/stream`,
    ],
    subgraphs: Object.fromEntries(gateway.subgraphs),
  },
  'gateway listening',
);
