// `npm run bench -- <name> [options]`: runs bench/<name>.ts (default: catalog-latency).
import { spawn } from 'node:child_process';

const benches: Record<string, string> = {
  catalog: 'bench/catalog-latency.ts',
  ingest: 'bench/ingest.ts',
  analysis: 'bench/analysis.ts',
  accuracy: 'bench/accuracy.ts',
  gateway: 'bench/gateway.ts',
  subscriptions: 'bench/subscriptions.ts',
  enrichment: 'bench/enrichment.ts',
  export: 'bench/export.ts',
  scale: 'bench/scale.ts',
  stream: 'bench/stream.ts',
};
const [name = 'catalog', ...args] = process.argv.slice(2);
const file = benches[name];
if (!file) {
  process.stderr.write(`unknown benchmark "${name}"; one of: ${Object.keys(benches).join(', ')}\n`);
  process.exit(2);
}
const child = spawn(process.execPath, [file, ...args], { stdio: 'inherit' });
child.on('exit', (code) => {
  process.exitCode = code ?? 1;
});
