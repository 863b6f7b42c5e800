// Runs every test file of the workspace in one node:test run. `npm test`
// calls this through the stack's `exec`, so the service URLs are set.
import { spawn } from 'node:child_process';

const patterns = [
  'packages/*/test/**/*.test.ts',
  'tools/*/test/**/*.test.ts',
  'subgraphs/*/test/**/*.test.ts',
  'gateway/test/**/*.test.ts',
  'ingest/test/**/*.test.ts',
  'console/test/**/*.test.ts',
  'e2e/*/*.test.ts',
];

const extra = process.argv.slice(2);
const child = spawn(
  process.execPath,
  ['--test', '--test-concurrency=4', '--test-timeout=120000', ...(extra.length > 0 ? extra : patterns)],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
