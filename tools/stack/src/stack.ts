import { mkdir } from 'node:fs/promises';
import { config } from './config.ts';
import { installPackages } from './debian-packages.ts';
import { buildDecoder, decoderBuildPackages } from './decoder.ts';
import { exists, which } from './fs-util.ts';
import { isAlive, StackError, waitFor } from './proc.ts';
import { say, step } from './progress.ts';
import type { Service } from './service.ts';
import { services } from './services/index.ts';

export type State = 'healthy' | 'unhealthy' | 'stopped' | 'external';

export interface Status {
  readonly service: Service;
  readonly state: State;
  readonly url: string;
  readonly version?: string;
  readonly pid?: number | undefined;
  readonly error?: string;
}

/** The URL a service is reached at: the one set in the environment, else the local one. */
export function urlOf(service: Service): string {
  return config[service.urlVar] ?? service.url;
}

const isExternal = (service: Service) => config[service.urlVar] !== undefined;

async function ping(service: Service, url: string): Promise<{ version?: string; error?: string }> {
  try {
    return { version: await service.ping(url) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

export async function statusOf(service: Service): Promise<Status> {
  const url = urlOf(service);
  if (isExternal(service)) {
    return { service, url, state: 'external', ...(await ping(service, url)) };
  }
  const pid = await service.pid();
  if (!(await isAlive(pid))) return { service, url, state: 'stopped' };
  const result = await ping(service, url);
  return { service, url, pid, state: result.version ? 'healthy' : 'unhealthy', ...result };
}

async function ensureRunning(service: Service): Promise<void> {
  const timeoutMs = config.STACK_START_TIMEOUT * 1000;
  const healthy = async () => (await ping(service, service.url)).version !== undefined;
  if (await isAlive(await service.pid())) {
    // Running: healthy now, or still starting from another `up`.
    if (await waitFor(healthy, 10_000)) return;
    say(`${service.name} is running but unhealthy; restarting it`);
    await service.stop();
  }
  await step(`starting ${service.name}`, `${service.name} is healthy`, async () => {
    await service.start();
    if (!(await waitFor(healthy, timeoutMs))) {
      const { error } = await ping(service, service.url);
      throw new StackError(
        `${service.name} did not become healthy within ${config.STACK_START_TIMEOUT}s (${error ?? 'no answer'}); read ${service.logFile}`,
      );
    }
  });
}

/** The services named (all when none are), or a StackError naming the unknown ones. */
export function select(names: readonly string[] = []): Service[] {
  const unknown = names.filter((n) => !services.some((s) => s.name === n));
  if (unknown.length > 0)
    throw new StackError(
      `unknown service ${unknown.join(', ')}; one of ${services.map((s) => s.name).join(', ')}`,
    );
  return names.length === 0 ? [...services] : services.filter((s) => names.includes(s.name));
}

/**
 * Installs, builds and starts every local service (or those named) that is
 * not running; a no-op when all are healthy.
 */
export async function up(names: readonly string[] = []): Promise<void> {
  const firstRun = !(await exists(config.STACK_DIR));
  await mkdir(config.STACK_DIR, { recursive: true });
  const local = select(names).filter((s) => !isExternal(s));
  const needs = await Promise.all(
    local.map(async (s) => ({ name: s.name, packages: await s.missingPackages() })),
  );
  // Not a server, but the audio fixtures and the ingest pipeline need it too.
  if (!(await which('ffmpeg'))) needs.push({ name: 'audio tooling', packages: ['ffmpeg'] });
  // fpcalc: AcoustID fingerprints identify untagged files during enrichment.
  if (!(await which('fpcalc')))
    needs.push({ name: 'AcoustID fingerprints', packages: ['libchromaprint-tools'] });
  // The analysis workers' decoder process is built from C against FFmpeg's libraries.
  needs.push({ name: 'tonegraph-decoder', packages: await decoderBuildPackages() });
  // Debian's Chromium drives the console's browser test (playwright-core downloads no browser).
  if (!(await which('chromium'))) needs.push({ name: 'console browser test', packages: ['chromium'] });
  const missing = [...new Set(needs.flatMap((n) => n.packages))];
  if ((firstRun && local.length > 0) || missing.length > 0) {
    say(
      'first run: installing and building what is missing, then starting the servers; expect 2–3 minutes (later runs take seconds)',
    );
  }
  try {
    await installPackages(missing);
  } catch (error) {
    const needing = needs.filter((n) => n.packages.length > 0).map((n) => n.name);
    throw new StackError(
      `could not install ${missing.join(' ')} (needed by ${needing.join(', ')}): ${String(error)}`,
    );
  }
  const failures: string[] = [];
  try {
    await buildDecoder();
  } catch (error) {
    failures.push(`tonegraph-decoder: ${error instanceof Error ? error.message : String(error)}`);
  }
  await Promise.all(
    local.map(async (service) => {
      try {
        await service.build();
        await ensureRunning(service);
      } catch (error) {
        failures.push(`${service.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  if (failures.length > 0) throw new StackError(failures.join('\n'));
}

/** Stops every local service (or those named); leaves external ones alone. */
export async function down(names: readonly string[] = []): Promise<void> {
  const local = select(names).filter((s) => !isExternal(s));
  const failures: string[] = [];
  await Promise.all(
    local.map(async (service) => {
      try {
        await service.stop();
      } catch (error) {
        failures.push(`${service.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }),
  );
  if (failures.length > 0) throw new StackError(failures.join('\n'));
}

/** The `VAR=url` lines for every service. */
export function envLines(): string[] {
  return services.map((s) => `${s.urlVar}=${urlOf(s)}`);
}

/** The environment of a command run against the stack. */
export function stackEnv(): NodeJS.ProcessEnv {
  return { ...process.env, ...Object.fromEntries(services.map((s) => [s.urlVar, urlOf(s)])) };
}
