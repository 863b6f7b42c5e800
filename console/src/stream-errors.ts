/**
 * Why a stream did not play, in words: an `<audio>` element reports only a
 * MediaError code, so the gateway is asked once more for the HTTP status
 * behind it. A GET, not a HEAD (which describes a transcode without
 * claiming one of the limited slots, so it never says 503), cut off as soon
 * as the status is in: an original is asked for one byte, a transcode's
 * ffmpeg ends when the request goes.
 */

/**
 * What to do next: nothing, ask for a fresh URL, ask again in a moment (the
 * slot may be held by this page's own stream, given up by a seek a moment
 * ago and not ended yet), or ask for a transcode instead of the original.
 */
export type Retry = 'none' | 'renew' | 'wait' | 'transcode';

export async function explainStreamError(
  url: string,
  error: MediaError | null,
): Promise<{ message: string; retry: Retry }> {
  let response: Response;
  const cut = new AbortController();
  const timer = setTimeout(() => cut.abort(), 10_000);
  try {
    response = await fetch(url, { headers: { range: 'bytes=0-0' }, signal: cut.signal });
  } catch {
    return { message: 'the gateway cannot be reached.', retry: 'none' };
  } finally {
    clearTimeout(timer);
    cut.abort();
  }
  switch (response.status) {
    case 503: {
      const after = Number(response.headers.get('retry-after'));
      return {
        message: `the server is busy: it is transcoding as many streams as it may. Try again ${
          Number.isFinite(after) && after > 0 ? `in ${after} s` : 'shortly'
        }.`,
        retry: 'wait',
      };
    }
    case 401:
    case 403:
      return { message: 'the stream link was refused (expired or invalid).', retry: 'renew' };
    case 404:
      return {
        message: 'its file is not available (moved, deleted, or its library is offline).',
        retry: 'none',
      };
    default:
      if (!response.ok && response.status !== 416)
        return { message: `the gateway answered HTTP ${response.status}.`, retry: 'none' };
  }
  // The gateway serves it: the browser could not play what it got.
  if (error?.code === MediaError.MEDIA_ERR_NETWORK)
    return { message: 'the stream broke off (network error).', retry: 'renew' };
  return {
    message: `this browser cannot play the stream (${error?.message || `media error ${error?.code ?? '?'}`}).`,
    retry: 'transcode',
  };
}
