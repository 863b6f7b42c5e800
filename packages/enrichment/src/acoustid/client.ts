import { createHash } from 'node:crypto';
import type { ResponseCache } from '../http/cache.ts';
import type { HostClient } from '../http/host-client.ts';
import type { Fingerprint } from './fpcalc.ts';

/** One AcoustID track that matches a fingerprint, with its MusicBrainz recordings. */
export interface AcoustIdResult {
  readonly id: string;
  readonly score: number;
  readonly recordings?: ReadonlyArray<{
    readonly id: string;
    readonly title?: string;
    readonly duration?: number;
    readonly artists?: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  }>;
}

interface BatchResponse {
  readonly status: string;
  readonly fingerprints?: ReadonlyArray<{
    readonly index: number | string | null;
    readonly results: AcoustIdResult[];
  }>;
  readonly results?: AcoustIdResult[];
}

/** Options of {@link createAcoustIdClient}. */
export interface AcoustIdOptions {
  /** The application's API key (`client=`). */
  readonly apiKey: string;
  /**
   * Fingerprints per lookup request. The service reads `fingerprint.N` /
   * `duration.N` with `batch=1` and refuses more than 20. Default 10.
   */
  readonly batchSize?: number;
  /** How long a lookup waits for others to share its request. Default 50 ms. */
  readonly batchWindowMs?: number;
  readonly cache?: ResponseCache;
  /** Default 1 day. */
  readonly cacheTtlSeconds?: number;
}

interface Pending {
  readonly fp: Fingerprint;
  readonly cacheKey: string;
  resolve(results: AcoustIdResult[]): void;
  reject(error: unknown): void;
}

/** AcoustID lookups, batched into one POST per `batchSize` fingerprints, cached per fingerprint. */
export function createAcoustIdClient(host: HostClient, options: AcoustIdOptions) {
  const batchSize = Math.min(20, Math.max(1, options.batchSize ?? 10));
  const windowMs = options.batchWindowMs ?? 50;
  const ttl = options.cacheTtlSeconds ?? 86_400;
  const queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;

  async function send(batch: Pending[]): Promise<void> {
    const form = new URLSearchParams({
      client: options.apiKey,
      meta: 'recordings',
      batch: '1',
      format: 'json',
    });
    batch.forEach((p, i) => {
      form.set(`duration.${i}`, String(Math.round(p.fp.duration)));
      form.set(`fingerprint.${i}`, p.fp.fingerprint);
    });
    try {
      const body = await host.postFormJson<BatchResponse>('/v2/lookup', form);
      const byIndex = new Map((body?.fingerprints ?? []).map((f) => [Number(f.index), f.results]));
      await Promise.all(
        batch.map(async (p, i) => {
          const results = byIndex.get(i) ?? [];
          await options.cache?.set(
            host.name,
            p.cacheKey,
            { status: 200, body: JSON.stringify(results) },
            ttl,
          );
          p.resolve(results);
        }),
      );
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  function flush() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) void send(queue.splice(0, batchSize));
  }

  return {
    /** The AcoustID tracks matching a fingerprint, best score first. */
    async lookup(fp: Fingerprint): Promise<AcoustIdResult[]> {
      const cacheKey = `lookup ${Math.round(fp.duration)} ${createHash('sha1').update(fp.fingerprint).digest('hex')}`;
      const hit = await options.cache?.get(host.name, cacheKey);
      const results = hit
        ? (JSON.parse(hit.body) as AcoustIdResult[])
        : await new Promise<AcoustIdResult[]>((resolve, reject) => {
            queue.push({ fp, cacheKey, resolve, reject });
            if (queue.length >= batchSize) flush();
            else timer ??= setTimeout(flush, windowMs);
          });
      return [...results].sort((a, b) => b.score - a.score);
    },
    /** Sends what is queued now. */
    flush,
  };
}

export type AcoustIdClient = ReturnType<typeof createAcoustIdClient>;
