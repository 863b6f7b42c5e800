import type { ServerResponse } from 'node:http';

/**
 * Answers a refusal as the gateway answers every error outside GraphQL:
 * `{ errors: [{ message, extensions: { code, … } }] }`.
 */
export function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
