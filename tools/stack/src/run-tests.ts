// Runs every test file of the workspace. `npm test` calls this through the
// stack's `exec`, so the service URLs are set. Two phases: the unit and
// integration files side by side, then the files that start the whole
// platform (e2e, the console's browser test among them) one at a time, so
// that they do not compete with each other and with the first phase for the
// machine's cores.
import { spawn } from 'node:child_process';

const phases: { name: string; concurrency: number; patterns: string[] }[] = [
  {
    name: 'packages, subgraphs, gateway, ingest, subsonic',
    concurrency: 4,
    patterns: [
      'packages/*/test/**/*.test.ts',
      'tools/*/test/**/*.test.ts',
      'subgraphs/*/test/**/*.test.ts',
      'gateway/test/**/*.test.ts',
      'ingest/test/**/*.test.ts',
      'subsonic/test/**/*.test.ts',
    ],
  },
  { name: 'whole platform', concurrency: 1, patterns: ['e2e/*/*.test.ts'] },
];

function run(concurrency: number, files: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', `--test-concurrency=${concurrency}`, '--test-timeout=120000', ...files],
      { stdio: 'inherit' },
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// `npm test -- [--concurrency=N] <files or globs>` runs a subset.
let concurrency = 4;
const extra = process.argv.slice(2).filter((arg) => {
  const m = /^--concurrency=(\d+)$/.exec(arg);
  if (m) concurrency = Number(m[1]);
  return !m;
});
if (extra.length > 0) {
  process.exitCode = await run(concurrency, extra);
} else {
  let failed = 0;
  for (const phase of phases) {
    console.log(`\n# tests: ${phase.name}\n`);
    const code = await run(phase.concurrency, phase.patterns);
    if (code !== 0) failed = code;
  }
  process.exitCode = failed;
}
