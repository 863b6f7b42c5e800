import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const jar = new URL('../../../tools/neo4j/target/tonegraph-neo4j.jar', import.meta.url).pathname;

/** A Neo4j of the test's own (never the shared one), to be stopped and restarted at will. */
export interface PrivateNeo4j {
  readonly url: string;
  /** SIGTERM, resolved once the process has exited; idempotent. */
  stop(): Promise<void>;
}

/** Starts tools/neo4j's server on `port` with its store in `dataDir`; resolves when Bolt accepts connections. */
export async function startPrivateNeo4j(
  dataDir: string,
  port: number,
  timeoutMs = 90_000,
): Promise<PrivateNeo4j> {
  const child = spawn('java', ['-Xmx512m', '-jar', jar, '--data-dir', dataDir, '--bolt-port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, 'exit');
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`neo4j not ready after ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /^neo4j ready (\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`neo4j exited before it was ready: ${stderr.join('')}`));
    });
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    })();
    return stopping;
  };
  try {
    return { url: await ready, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
