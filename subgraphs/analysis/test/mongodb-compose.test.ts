// The analysis store on real MongoDB, the image docker-compose.yml runs:
// the schema is created and every query shape is an index scan there too
// (indexes.test.ts, against a container of that image). Needs a Docker
// engine; without one (as on the default stack's machines) it is skipped.
import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));

async function dockerEngine(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const engine = await dockerEngine();

test(
  'on the compose file’s MongoDB, every analysis query is an index scan',
  { skip: !engine && 'no Docker engine' },
  async (t) => {
    const compose = await readFile(`${root}docker-compose.yml`, 'utf8');
    const image = /^\s{2}mongo:\n\s+image:\s*(\S+)/m.exec(compose)?.[1];
    if (!image) throw new Error('docker-compose.yml has no mongo image');
    const { stdout } = await run('docker', ['run', '-d', '--rm', '-p', '127.0.0.1::27017', image], {
      timeout: 300_000,
    });
    const container = stdout.trim();
    t.after(() => run('docker', ['rm', '-f', container]).then(() => undefined));
    const port = (await run('docker', ['port', container, '27017'])).stdout.trim().split(':').at(-1);
    const child = spawn(
      process.execPath,
      ['--test', fileURLToPath(new URL('./indexes.test.ts', import.meta.url))],
      {
        env: { ...process.env, MONGO_URL: `mongodb://127.0.0.1:${port}/` },
        stdio: 'inherit',
      },
    );
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`indexes.test.ts against ${image} exited ${code}`);
  },
);
