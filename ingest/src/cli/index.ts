#!/usr/bin/env node
// `tonegraph`: the command line of Tonegraph's ingest (import, status) and of the Subsonic API's users.
import { parseArgs } from 'node:util';
import { ApiError, createApi } from './api.ts';
import { loadCliConfig } from './config.ts';
import { EXIT, runImport } from './import.ts';
import { runStatus } from './status.ts';
import { runUser, type UserCommand } from './user.ts';

const USAGE = `usage:
  tonegraph import <path> [--name NAME] [--full] [--watch] [--sequential]
      adds <path> as a library if needed, scans it and shows the progress;
      --full rereads every file, --watch keeps showing the imports that
      changes start, --sequential imports in this process one file at a time
      (needs DATABASE_URL, AMQP_URL and REDIS_URL like the ingest service)
  tonegraph status
      libraries, recent import jobs and their errors
  tonegraph user add <name> [--admin] [--password PASSWORD]
      creates a user of the Subsonic API (/rest/); without --password a
      random one is made and shown once
  tonegraph user api-key <name> [--name KEY_NAME]
      creates an API key for the user (OpenSubsonic apiKey), shown once
  tonegraph user list
      the users

environment: TONEGRAPH_URL (default http://127.0.0.1:4000/graphql), TONEGRAPH_API_KEY
exit codes: 0 done, 1 failed, 2 usage, 3 done but some files could not be imported
`;

/** `user add <name>`, `user api-key <name>`, `user list`; undefined for anything else. */
function userCommand(
  action: string | undefined,
  rest: readonly string[],
  values: { admin: boolean; password?: string | undefined; name?: string | undefined },
): UserCommand | undefined {
  const [name, ...more] = rest;
  if (more.length > 0) return undefined;
  if (action === 'list' && name === undefined) return { action: 'list' };
  if (action === 'add' && name)
    return { action: 'add', name, admin: values.admin, password: values.password };
  if (action === 'api-key' && name) return { action: 'api-key', name, keyName: values.name };
  return undefined;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        full: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        sequential: { type: 'boolean', default: false },
        admin: { type: 'boolean', default: false },
        password: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, target, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.ok;
  }
  const config = loadCliConfig();
  const api = createApi(
    config.TONEGRAPH_URL,
    config.TONEGRAPH_API_KEY ? { apiKey: config.TONEGRAPH_API_KEY } : {},
  );
  try {
    if (command === 'import' && target && extra.length === 0)
      return await runImport(api, {
        path: target,
        ...(values.name ? { name: values.name } : {}),
        full: values.full,
        watch: values.watch,
        sequential: values.sequential,
        out: process.stderr,
      });
    if (command === 'status' && !target) return await runStatus(api, process.stdout);
    const user = userCommand(target, extra, values);
    if (command === 'user' && user) return await runUser(api, user, process.stdout);
    process.stderr.write(USAGE);
    return EXIT.usage;
  } catch (error) {
    const code = error instanceof ApiError && error.code ? ` [${error.code}]` : '';
    process.stderr.write(`tonegraph: ${(error as Error).message}${code}\n`);
    return EXIT.failed;
  } finally {
    await api.close();
  }
}

process.exitCode = await main();
