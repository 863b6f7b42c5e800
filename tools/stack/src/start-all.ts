// `npm start`: runs every Tonegraph service of the workspace (the subgraphs,
// the gateway, ingest) as supervised child processes, their output prefixed
// with their name, against the stack's URLs (`npm start` runs this through
// `stack exec`). A service that exits unexpectedly is restarted with back-off;
// one that keeps failing makes the whole run stop. tools/stack/README.md
// documents the command line, the settings and the output lines.
//
//   node tools/stack/src/start-all.ts
//
// Exit status: 0 after SIGINT/SIGTERM, 1 after giving up on a service, 130
// when a second signal cut the shutdown short.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './config.ts';
import { exists } from './fs-util.ts';
import { loadStartConfig } from './start-config.ts';
import { stopSignalHandler } from './supervisor/stop-signals.ts';
import { startSupervisor, type ServiceSpec } from './supervisor/supervisor.ts';

const config = loadStartConfig();
const say = (line: string) => process.stdout.write(`start: ${line}\n`);

/** Port offsets from START_PORT_BASE; each service's own default matches them at 4000. */
const offsets: Readonly<Record<string, number>> = { gateway: 0, catalog: 1, analysis: 2, 'library-graph': 3 };
const INGEST_OFFSET = 10;
/** The Subsonic service (`subsonic/`), which the gateway proxies at /rest/. */
const SUBSONIC_OFFSET = 5;

async function services(env: NodeJS.ProcessEnv): Promise<ServiceSpec[]> {
  const base = config.START_PORT_BASE;
  const names = (await readdir(path.join(repoRoot, 'subgraphs')).catch(() => [] as string[])).sort();
  const found: ServiceSpec[] = [];
  const subgraphUrls: Record<string, string> = {};
  let next = 4;
  for (const name of names) {
    const main = path.join(repoRoot, 'subgraphs', name, 'src', 'index.ts');
    if (!(await exists(main))) continue;
    const port = base + (offsets[name] ?? next++);
    // The gateway's override of the supergraph's URL, e.g. LIBRARY_GRAPH_URL.
    const urlVar = `${name.toUpperCase().replaceAll('-', '_')}_URL`;
    subgraphUrls[urlVar] = env[urlVar] ?? `http://127.0.0.1:${port}/graphql`;
    found.push({
      name,
      args: [main],
      env: { ...env, PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/health`,
    });
  }
  const subsonic = path.join(repoRoot, 'subsonic', 'src', 'index.ts');
  const proxied: Record<string, string> = {};
  if (await exists(subsonic)) {
    const port = base + SUBSONIC_OFFSET;
    proxied.SUBSONIC_URL = env.SUBSONIC_URL ?? `http://127.0.0.1:${port}`;
    found.push({
      name: 'subsonic',
      args: [subsonic],
      env: { ...env, LIBRARY_GRAPH_URL: subgraphUrls.LIBRARY_GRAPH_URL, PORT: String(port) },
      readyUrl: `http://127.0.0.1:${port}/health`,
    });
  }
  const gateway = path.join(repoRoot, 'gateway', 'src', 'index.ts');
  if (await exists(gateway)) {
    found.push({
      name: 'gateway',
      args: [gateway],
      env: { ...env, ...subgraphUrls, ...proxied, PORT: String(base) },
      readyUrl: `http://127.0.0.1:${base}/health`,
    });
  }
  const ingest = path.join(repoRoot, 'ingest', 'src', 'index.ts');
  if (await exists(ingest)) {
    const metrics = config.METRICS_PORT ?? base + INGEST_OFFSET;
    found.push({
      name: 'ingest',
      args: [ingest],
      env: { ...env, METRICS_PORT: String(metrics) },
      readyUrl: `http://127.0.0.1:${metrics}/healthz`,
    });
  }
  return found;
}

// One PORT/HOST for every service would make them collide: each gets its own port.
const { PORT: _port, HOST: _host, ...env } = process.env;
// The gateway signs its subgraph requests with a secret they share; one per run unless .env sets it.
env.SUBGRAPH_SECRET = config.SUBGRAPH_SECRET ?? randomBytes(32).toString('hex');
// The catalog signs `Track.streamUrl` URLs with it and the gateway verifies them; likewise one per run.
env.STREAM_SECRET = config.STREAM_SECRET ?? randomBytes(32).toString('hex');

const specs = await services(env);
if (specs.length === 0) {
  say('the stack is up; no Tonegraph service exists in this checkout yet');
} else {
  const started = Date.now();
  say(`starting ${specs.map((s) => s.name).join(', ')}`);
  const supervisor = startSupervisor({
    services: specs,
    policy: {
      maxFailures: config.START_MAX_FAILURES,
      windowMs: config.START_FAILURE_WINDOW_MS,
      initialDelayMs: config.START_RESTART_DELAY_MS,
      maxDelayMs: Math.max(config.START_RESTART_MAX_DELAY_MS, config.START_RESTART_DELAY_MS),
    },
    stopGraceMs: config.START_STOP_GRACE_MS,
  });

  void supervisor.ready.then((ready) => {
    if (!ready) return;
    const graphql = specs.some((s) => s.name === 'gateway')
      ? `; GraphQL on http://127.0.0.1:${config.START_PORT_BASE}/graphql`
      : '';
    say(
      `ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ${specs.map((s) => s.name).join(', ')}${graphql}`,
    );
  });

  void supervisor.done.then((outcome) => {
    if (outcome.kind === 'gave-up') {
      say(`gave up: ${outcome.service} failed ${outcome.failures} times; every service is stopped`);
      process.exitCode = 1;
    } else {
      say('every service is stopped');
      process.exitCode = 0;
    }
  });

  // Whatever ends this process (an error, a second signal) takes the services with it.
  process.on('exit', () => supervisor.kill());
  // A reader of our output that went away (a closed pipe) must not cut the shutdown short.
  process.stdout.on('error', () => {});

  const onSignal = stopSignalHandler({
    onFirst(signal) {
      say(`${signal}: stopping every service in reverse order (a second Ctrl-C exits at once)`);
      void supervisor.stop();
    },
    onSecond(signal) {
      say(`second ${signal}: killing every service now`);
      supervisor.kill();
      process.exit(130);
    },
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
