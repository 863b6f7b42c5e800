// The catalogue of cases: each one runs as its own subtest, records what was
// expected and what was seen, and is followed by a check that the platform
// still answers a normal query correctly.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';

export interface Row {
  readonly group: string;
  readonly case: string;
  readonly expected: string;
  readonly observed: string;
  readonly ms: number;
  readonly pass: boolean;
}

export interface Catalogue {
  readonly rows: Row[];
  /**
   * Runs `fn` as the subtest `name`; it returns what it observed (and throws
   * when that is not what was expected). `healthy` runs after it.
   */
  check(
    t: TestContext,
    group: string,
    name: string,
    expected: string,
    fn: () => string | Promise<string>,
  ): Promise<void>;
  /** Prints the table and writes `e2e/results/<scenario>.json` with `extra`. */
  report(scenario: string, extra: Record<string, unknown>): Promise<void>;
}

/** `healthy` throws when the platform no longer answers as it should. */
export function createCatalogue(healthy: () => Promise<void>): Catalogue {
  const rows: Row[] = [];
  return {
    rows,
    async check(t, group, name, expected, fn) {
      await t.test(name, { timeout: 240_000 }, async () => {
        const started = performance.now();
        const say = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 300);
        let observed: string;
        let failure: unknown;
        try {
          observed = await fn();
        } catch (error) {
          failure = error;
          observed = `FAILED: ${say(error)}`;
        }
        const ms = Math.round(performance.now() - started);
        try {
          await healthy();
        } catch (error) {
          failure ??= error;
          observed += ` / AFTERWARDS: ${say(error)}`;
        }
        rows.push({ group, case: name, expected, observed, ms, pass: failure === undefined });
        if (failure !== undefined) throw failure instanceof Error ? failure : new Error(observed);
      });
    },
    async report(scenario, extra) {
      const passed = rows.filter((r) => r.pass).length;
      console.table(
        rows.map((r) => ({
          group: r.group,
          case: r.case,
          expected: r.expected.slice(0, 60),
          observed: r.observed.slice(0, 70),
          ms: r.ms,
          pass: r.pass ? 'yes' : 'NO',
        })),
      );
      const summary = { cases: rows.length, passed, failed: rows.length - passed, ...extra };
      console.table([Object.fromEntries(Object.entries(summary).filter(([, v]) => typeof v !== 'object'))]);
      const dir = path.join(import.meta.dirname, '../results');
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, `${scenario}.json`),
        `${JSON.stringify({ ...summary, rows }, null, 2)}\n`,
      );
    },
  };
}
