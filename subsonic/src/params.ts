import type { Request } from 'express';
import { badParam, missing } from './errors.ts';

/**
 * A request's parameters: the query string and, for a form POST
 * (OpenSubsonic's formPost extension), the body, merged. Subsonic repeats
 * a name for a list (`id=1&id=2`).
 */
export class Params {
  readonly #values = new Map<string, string[]>();

  constructor(...sources: readonly unknown[]) {
    for (const source of sources) {
      if (!source || typeof source !== 'object') continue;
      for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
        const list = Array.isArray(value) ? value : [value];
        const strings = list.filter((v): v is string => typeof v === 'string');
        this.#values.set(name, [...(this.#values.get(name) ?? []), ...strings]);
      }
    }
  }

  static of(req: Request): Params {
    return new Params(req.query, req.body);
  }

  has(name: string): boolean {
    return (this.#values.get(name)?.length ?? 0) > 0;
  }

  /** The first value, or undefined. */
  get(name: string): string | undefined {
    return this.#values.get(name)?.[0];
  }

  /** Every value of a repeated parameter. */
  all(name: string): string[] {
    return this.#values.get(name) ?? [];
  }

  /** The first value; a missing one is error 10. */
  required(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw missing(name);
    return value;
  }

  /** An integer in [min, max]; absent: `fallback`. */
  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.get(name);
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isInteger(n)) throw badParam(name, 'must be an integer');
    return Math.min(Math.max(n, min), max);
  }

  /** An integer, or undefined when absent. */
  optionalInt(name: string): number | undefined {
    return this.has(name) ? this.int(name, 0, Number.MIN_SAFE_INTEGER) : undefined;
  }

  /** A required integer (error 10 when absent). */
  requiredInt(name: string): number {
    this.required(name);
    return this.int(name, 0, Number.MIN_SAFE_INTEGER);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.get(name);
    return value === undefined ? fallback : value === 'true' || value === '1';
  }

  /** Every parameter as an object of first values (for @tonegraph/streaming's parser). */
  toObject(): Record<string, string> {
    return Object.fromEntries([...this.#values].flatMap(([k, v]) => (v[0] === undefined ? [] : [[k, v[0]]])));
  }
}
