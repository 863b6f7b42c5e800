// Starts Hive Gateway's CLI (`hive-gateway supergraph <file>`) as a process of its own, with the
// configuration in hive-gateway.config.ts; startProc runs an entry file without arguments.
//   PORT=… HOST=… HIVE_SUPERGRAPH_PATH=… SUBGRAPH_SECRET=… node bench/support/hive-gateway.ts
import { fileURLToPath } from 'node:url';

const bin = new URL('../../node_modules/@graphql-hive/gateway/dist/bin.js', import.meta.url);
const supergraph = process.env.HIVE_SUPERGRAPH_PATH ?? 'schema/supergraph.graphql';
process.env.CONFIG_PATH ??= fileURLToPath(new URL('./hive-gateway.config.ts', import.meta.url));
process.argv = [process.argv[0]!, fileURLToPath(bin), 'supergraph', supergraph];
await import(bin.href);
