import type { FakeSeed } from './seed.ts';
import { json, startFakeServer, type Faults, type FakeServer } from './fake-server.ts';

/**
 * A fake AcoustID `/v2/lookup` (GET or POST form): a single lookup
 * (`fingerprint`, `duration`) answers `results`; `batch=1` with
 * `fingerprint.N` / `duration.N` answers `fingerprints: [{ index, results }]`,
 * at most 20 per request, like the real service.
 */
export function startFakeAcoustId(seed: FakeSeed, faults?: Faults): Promise<FakeServer> {
  const key = seed.acoustidKey ?? 'test-key';
  const table = seed.fingerprints ?? {};
  const error = (status: number, code: number, message: string) => ({
    status,
    body: { status: 'error', error: { code, message } },
  });
  return startFakeServer((req, res) => {
    const url = new URL(req.url, 'http://fake');
    if (url.pathname !== '/v2/lookup') return json(res, 404, error(404, 0, 'not found').body);
    const params = req.method === 'POST' ? new URLSearchParams(req.body) : url.searchParams;
    if (params.get('client') !== key) return json(res, 400, error(400, 4, 'invalid API key').body);
    const suffixes = [...params.keys()]
      .map((k) => /^fingerprint(\.(\d+))?$/.exec(k))
      .filter((m) => m !== null)
      .map((m) => (m[2] === undefined ? -1 : Number(m[2])))
      .sort((a, b) => a - b);
    if (suffixes.length === 0)
      return json(res, 400, error(400, 2, 'missing required parameter "fingerprint"').body);
    if (suffixes.filter((s) => s >= 0).length > 20)
      return json(res, 400, error(400, 3, 'request too large').body);
    const answer = (s: number) => table[params.get(s < 0 ? 'fingerprint' : `fingerprint.${s}`) ?? ''] ?? [];
    if (params.get('batch') === '1') {
      return json(res, 200, {
        status: 'ok',
        fingerprints: suffixes.map((s) => ({ index: s < 0 ? null : s, results: answer(s) })),
      });
    }
    json(res, 200, { status: 'ok', results: answer(suffixes[0]!) });
  }, faults);
}
