// Signed stream URLs: a URL verifies as signed until it expires, and any
// change to a signed field (track id, format, bitrate cap, expiry) or to the
// signature itself makes it invalid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signStreamPath, verifyStreamSignature } from '@tonegraph/streaming';

const secret = 'a-stream-secret-of-some-length';
const trackId = '0b0e4b5e-7a43-4f7e-9d55-2f2a8d7b9c11';
const now = new Date('2026-12-03T12:00:00Z');
const inAnHour = new Date(now.getTime() + 3_600_000);

/** The query of a signed path, as express parses it. */
const queryOf = (signed: string) => Object.fromEntries(new URL(signed, 'http://x').searchParams);
const signed = signStreamPath(secret, {
  trackId,
  request: { format: 'opus', maxBitRate: 128 },
  expiresAt: inAnHour,
});

test('a signed path names the track and carries format, bitrate, expiry and signature', () => {
  const url = new URL(signed, 'http://x');
  assert.equal(url.pathname, `/stream/${trackId}`);
  assert.deepEqual([...url.searchParams.keys()], ['format', 'maxBitRate', 'expires', 'sig']);
  assert.equal(url.searchParams.get('expires'), String(inAnHour.getTime() / 1000));
  assert.match(url.searchParams.get('sig')!, /^[A-Za-z0-9_-]{43}$/);
});

test('verifies until it expires, then reports it expired', () => {
  const query = queryOf(signed);
  assert.equal(verifyStreamSignature(secret, trackId, query, now), 'valid');
  assert.equal(verifyStreamSignature(secret, trackId, query, new Date(inAnHour.getTime() - 1000)), 'valid');
  assert.equal(verifyStreamSignature(secret, trackId, query, inAnHour), 'expired');
  assert.equal(verifyStreamSignature(secret, trackId, query, new Date(inAnHour.getTime() + 1)), 'expired');
});

test('a time offset added by a seeking player keeps the signature valid', () => {
  assert.equal(
    verifyStreamSignature(secret, trackId, { ...queryOf(signed), timeOffset: '42.5' }, now),
    'valid',
  );
});

test('any changed signed field, or another secret, makes it invalid', () => {
  const query = queryOf(signed);
  const cases: [string, Record<string, unknown>, string?][] = [
    ['another track', query, '0b0e4b5e-7a43-4f7e-9d55-2f2a8d7b9c12'],
    ['format', { ...query, format: 'mp3' }],
    ['format removed', { ...query, format: undefined }],
    ['bitrate', { ...query, maxBitRate: '320' }],
    ['bitrate removed', { ...query, maxBitRate: undefined }],
    ['expiry pushed back', { ...query, expires: String(Number(query.expires) + 3600) }],
    ['expiry not a number', { ...query, expires: 'never' }],
    ['signature removed', { ...query, sig: undefined }],
    ['expiry removed', { ...query, expires: undefined }],
    ['signature repeated', { ...query, sig: [query.sig, query.sig] }],
    ['signature truncated', { ...query, sig: String(query.sig).slice(0, -1) }],
    ['signature padded', { ...query, sig: `${String(query.sig)}=` }],
  ];
  for (const [what, changed, id = trackId] of cases) {
    assert.equal(verifyStreamSignature(secret, id, changed, now), 'invalid', what);
  }
  // Every other last character of the signature.
  const sig = String(query.sig);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
    if (c === sig.at(-1)) continue;
    const check = verifyStreamSignature(secret, trackId, { ...query, sig: sig.slice(0, -1) + c }, now);
    assert.equal(check, 'invalid', `last character ${c}`);
  }
  assert.equal(verifyStreamSignature('another-secret-of-some-length', trackId, query, now), 'invalid');
});

test('a request without signature parameters is absent, not invalid', () => {
  assert.equal(verifyStreamSignature(secret, trackId, { format: 'opus' }, now), 'absent');
});

test('raw and no-cap requests sign and verify too', () => {
  const raw = signStreamPath(secret, { trackId, request: { format: 'raw' }, expiresAt: inAnHour });
  assert.equal(new URL(raw, 'http://x').searchParams.get('maxBitRate'), null);
  assert.equal(verifyStreamSignature(secret, trackId, queryOf(raw), now), 'valid');
  assert.equal(verifyStreamSignature(secret, trackId, { ...queryOf(raw), format: 'opus' }, now), 'invalid');
});
