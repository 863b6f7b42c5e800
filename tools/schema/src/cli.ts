// `npm run compose` writes schema/supergraph.graphql; `npm run compose -- --check`
// fails when the checked-in file is stale or composition has errors or hints.
import { readFile, writeFile } from 'node:fs/promises';
import { composeSupergraph, supergraphFile } from './compose.ts';

const check = process.argv.includes('--check');
const { supergraphSdl, errors, hints } = await composeSupergraph();

for (const e of errors) process.stderr.write(`error: ${e}\n`);
for (const h of hints) process.stderr.write(`hint: ${h}\n`);

if (!supergraphSdl) {
  process.exitCode = 1;
} else if (check) {
  const current = await readFile(supergraphFile, 'utf8').catch(() => '');
  if (current !== supergraphSdl) {
    process.stderr.write('schema/supergraph.graphql is stale: run `npm run compose`\n');
    process.exitCode = 1;
  } else if (hints.length > 0) {
    process.exitCode = 1;
  }
} else {
  await writeFile(supergraphFile, supergraphSdl);
  process.stdout.write(`wrote ${supergraphFile}\n`);
}
