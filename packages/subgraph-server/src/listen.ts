import type { Server } from 'node:http';

/** Where a subgraph listens (its config's PORT, HOST, REUSE_PORT). */
export interface ListenOptions {
  readonly port: number;
  readonly host: string;
  /** SO_REUSEPORT: several processes share the port (the kernel spreads connections). */
  readonly reusePort?: boolean | undefined;
}

/**
 * Starts listening; resolves once bound, rejects on a bind error (port in
 * use). Called by a subgraph's `index.ts` alone: `createServer` never listens.
 */
export function listen(httpServer: Server, options: ListenOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(
      { port: options.port, host: options.host, reusePort: options.reusePort ?? false },
      resolve,
    );
  });
}
