import './load-env.ts';
import { spawn } from 'node:child_process';
import { buildDecoder } from './decoder.ts';
import { down, envLines, stackEnv, statusOf, up } from './stack.ts';
import { services } from './services/index.ts';

const usage = `usage: npm run stack -- <command>

  up [name…]    install what is missing, build, start every server or those named
                (no-op when running); names: postgres redis rabbitmq ferretdb neo4j
  down [name…]  stop every server the stack started, or those named
  status    each server, its URL, health and version
  env       print DATABASE_URL=… MONGO_URL=… NEO4J_URL=… REDIS_URL=… AMQP_URL=… lines
  build-decoder  build tonegraph-decoder, the analysis workers' decoding process
                (up does it too; needs the Debian packages it names when missing)
  exec -- <cmd> [args…]
            bring the stack up, then run <cmd> with those variables set

A server whose URL variable is already set is used as it is and never started.`;

async function printStatus(): Promise<boolean> {
  const rows = await Promise.all(services.map(statusOf));
  const table = rows.map((r) => [
    r.service.name,
    r.state,
    r.url,
    r.version ?? (r.error ? `error: ${r.error.split('\n')[0]!.slice(0, 100)}` : ''),
    r.state === 'external' ? '' : r.service.logFile,
  ]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...table.map((row) => row[i]!.length)));
  for (const row of table) {
    process.stdout.write(`${row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell)).join('  ')}\n`);
  }
  return rows.every((r) => r.state === 'healthy' || (r.state === 'external' && r.version));
}

async function exec(argv: readonly string[]): Promise<number> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('exec needs a command after --');
  const started = Date.now();
  await up();
  process.stderr.write(`stack: up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
  const child = spawn(cmd, args, { stdio: 'inherit', env: stackEnv() });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1)));
    child.on('error', (error) => {
      process.stderr.write(`stack: cannot run ${cmd}: ${error.message}\n`);
      resolve(127);
    });
  });
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const started = Date.now();
      await up(rest);
      process.stderr.write(`stack: up in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
      await printStatus();
      return 0;
    }
    case 'down':
      await down(rest);
      return 0;
    case 'status':
      return (await printStatus()) ? 0 : 1;
    case 'env':
      process.stdout.write(`${envLines().join('\n')}\n`);
      return 0;
    case 'build-decoder':
      // A build says so itself, with its time.
      if (!(await buildDecoder())) process.stderr.write('stack: tonegraph-decoder is up to date\n');
      return 0;
    case 'exec':
      return exec(rest[0] === '--' ? rest.slice(1) : rest);
    default:
      process.stderr.write(`${usage}\n`);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A failed driver connection can leave a retry timer behind; do not wait for it.
    setTimeout(() => process.exit(), 500).unref();
  },
  (error: unknown) => {
    process.stderr.write(`stack: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
