// Signed stream URLs, for clients that cannot send a bearer token (an
// <audio> element): the catalog hands one out in `Track.streamUrl`, the
// gateway (and the Subsonic service) verify it. The signature covers what
// decides which bytes are served and for how long: the track id, the format,
// the bitrate cap and the expiry. `timeOffset` is left out on purpose: a
// player seeking in a transcode appends it to the URL it was given.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseStreamRequest, StreamRequestError } from './request.ts';
import type { StreamRequest } from './types.ts';

/** Path prefix of the gateway's stream route. */
export const STREAM_PATH = '/stream';

/** What {@link verifyStreamSignature} found. */
export type SignatureCheck = 'valid' | 'expired' | 'invalid' | 'absent';

/** The signed text: a version, then each signed field on its own line (no field can contain a newline). */
const payload = (trackId: string, request: StreamRequest, expires: string) =>
  ['tonegraph-stream-v1', trackId, request.format, String(request.maxBitRate ?? 0), expires].join('\n');

const mac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest();

/**
 * A relative URL that streams `trackId` as `request` asks until `expiresAt`:
 * `/stream/<id>?format=…[&maxBitRate=…]&expires=<unix s>&sig=<HMAC-SHA256, base64url>`.
 */
export function signStreamPath(
  secret: string,
  input: { trackId: string; request: StreamRequest; expiresAt: Date },
): string {
  const { trackId, request } = input;
  const expires = String(Math.floor(input.expiresAt.getTime() / 1000));
  const params = new URLSearchParams({ format: request.format });
  if (request.maxBitRate !== undefined) params.set('maxBitRate', String(request.maxBitRate));
  params.set('expires', expires);
  params.set('sig', mac(secret, payload(trackId, request, expires)).toString('base64url'));
  return `${STREAM_PATH}/${encodeURIComponent(trackId)}?${params.toString()}`;
}

/**
 * Checks the `expires` and `sig` parameters of a stream request for
 * `trackId`: `absent` when neither is there (the caller falls back to other
 * credentials), `invalid` when the signature does not match what the URL
 * asks for (any signed field changed), `expired` when it matches but its
 * time is past. The comparison takes constant time.
 */
export function verifyStreamSignature(
  secret: string,
  trackId: string,
  query: Record<string, unknown>,
  now: Date = new Date(),
): SignatureCheck {
  const { sig, expires } = query;
  if (sig === undefined && expires === undefined) return 'absent';
  if (typeof sig !== 'string' || typeof expires !== 'string' || !/^\d{1,12}$/.test(expires)) return 'invalid';
  let request: StreamRequest;
  try {
    request = parseStreamRequest(query);
  } catch (error) {
    if (error instanceof StreamRequestError) return 'invalid';
    throw error;
  }
  const expected = mac(secret, payload(trackId, request, expires));
  const given = Buffer.from(sig, 'base64url');
  // Only the canonical spelling: base64url decoding ignores stray characters and a last digit's spare bits.
  if (given.toString('base64url') !== sig) return 'invalid';
  // timingSafeEqual needs equal lengths; a length mismatch tells nothing about the secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
  return Number(expires) * 1000 <= now.getTime() ? 'expired' : 'valid';
}
