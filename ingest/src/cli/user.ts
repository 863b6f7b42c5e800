// `tonegraph user …`: listeners of the Subsonic API, created through the
// catalog's GraphQL mutations (which store them through the catalog store:
// passwords encrypted, API keys hashed). Mutations need the `admin` scope
// when the gateway's authentication is on (TONEGRAPH_API_KEY).
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { Api } from './api.ts';
import { EXIT } from './import.ts';

/** What `tonegraph user` was asked. */
export type UserCommand =
  | {
      readonly action: 'add';
      readonly name: string;
      readonly admin: boolean;
      readonly password?: string | undefined;
    }
  | { readonly action: 'api-key'; readonly name: string; readonly keyName?: string | undefined }
  | { readonly action: 'list' };

interface User {
  name: string;
  admin: boolean;
  createdAt: string;
}

/** Runs one `tonegraph user` command, writing what it did to `out`; returns the exit code. */
export async function runUser(api: Api, command: UserCommand, out: Writable): Promise<number> {
  if (command.action === 'list') {
    const { users } = await api.request<{ users: User[] }>('{ users { name admin createdAt } }');
    for (const u of users) out.write(`${u.name}${u.admin ? ' (admin)' : ''}  since ${u.createdAt}\n`);
    if (users.length === 0) out.write('no users yet: tonegraph user add <name>\n');
    return EXIT.ok;
  }
  if (command.action === 'add') {
    // No password given: a random one, shown once.
    const password = command.password ?? randomBytes(12).toString('base64url');
    const { createUser } = await api.request<{ createUser: User }>(
      'mutation($name: String!, $password: String!, $admin: Boolean) { createUser(name: $name, password: $password, admin: $admin) { name admin createdAt } }',
      { name: command.name, password, admin: command.admin },
    );
    out.write(`user ${createUser.name} created${createUser.admin ? ' (admin)' : ''}\n`);
    if (command.password === undefined) out.write(`password: ${password}\n`);
    return EXIT.ok;
  }
  const { createApiKey } = await api.request<{ createApiKey: { key: string; user: { name: string } } }>(
    'mutation($user: String!, $name: String) { createApiKey(userName: $user, name: $name) { key user { name } } }',
    { user: command.name, name: command.keyName ?? 'default' },
  );
  out.write(
    `API key of ${createApiKey.user.name} (shown once; players send it as apiKey=):\n${createApiKey.key}\n`,
  );
  return EXIT.ok;
}
