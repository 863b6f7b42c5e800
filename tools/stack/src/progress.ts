/** The stack's messages, on stderr so that `stack env` output stays clean. */
export const say = (line: string): void => void process.stderr.write(`stack: ${line}\n`);

const since = (started: number) => `${((Date.now() - started) / 1000).toFixed(1)}s`;

/**
 * Runs one step of `stack up`, saying when it begins and how long it took:
 * a first run spends minutes installing and building, and a newcomer
 * should see where they go rather than a silent terminal.
 */
export async function step<T>(doing: string, done: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  say(`${doing} …`);
  try {
    const result = await run();
    say(`${done} in ${since(started)}`);
    return result;
  } catch (error) {
    say(`${doing} failed after ${since(started)}`);
    throw error;
  }
}
