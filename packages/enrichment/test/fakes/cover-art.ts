import type { FakeSeed } from './seed.ts';
import { json, startFakeServer, type Faults, type FakeServer } from './fake-server.ts';

/** The image host the archive redirects to (archive.org in real life). */
export function startFakeImageHost(
  covers: NonNullable<FakeSeed['covers']>,
  faults?: Faults,
): Promise<FakeServer> {
  return startFakeServer((req, res) => {
    const m = /^\/images\/([0-9a-f-]{36})-(\d+)\.jpg$/.exec(req.url);
    const cover = m ? covers[m[1]!] : undefined;
    if (!cover) return json(res, 404, { error: 'no such image' });
    const type = { 'content-type': cover.contentType ?? 'image/jpeg' };
    res.writeHead(200, cover.chunked ? type : { ...type, 'content-length': cover.data.length });
    if (!cover.chunked) return void res.end(cover.data);
    for (let i = 0; i < cover.data.length; i += 8192) res.write(cover.data.subarray(i, i + 8192));
    res.end();
  }, faults);
}

/**
 * A fake Cover Art Archive: `/release/<mbid>/front-<250|500|1200>` answers
 * 307 to the image host, like coverartarchive.org does to archive.org.
 */
export function startFakeCoverArt(
  covers: NonNullable<FakeSeed['covers']>,
  imageHostUrl: () => string,
  faults?: Faults,
): Promise<FakeServer> {
  return startFakeServer((req, res) => {
    const m = /^\/release\/([0-9a-f-]{36})\/front(?:-(250|500|1200))?$/.exec(req.url);
    if (!m || !covers[m[1]!]) return json(res, 404, { error: 'Not Found' });
    res.writeHead(307, {
      location: `${imageHostUrl()}/images/${m[1]}-${m[2] ?? 'original'}.jpg`,
      'content-length': 0,
    });
    res.end();
  }, faults);
}
