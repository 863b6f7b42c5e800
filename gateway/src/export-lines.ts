// The catalog export's NDJSON lines as the gateway reads them: split as they
// arrive, each track line recognised by the id it starts with.

export const NEWLINE = Buffer.from('\n');
/** `{"id":"` — the catalog writes `id` first; the 36-character UUID follows. */
const ID_PREFIX = Buffer.from('{"id":"');
const ERROR_PREFIX = Buffer.from('{"error":');
/** A catalog line longer than this is not a track: the export fails rather than buffer it. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** The track id a catalog line starts with, or undefined for any other line (the final `{"error":…}`). */
export function idOf(line: Buffer): string | undefined {
  if (line.length > 44 && line.subarray(0, ID_PREFIX.length).equals(ID_PREFIX) && line[43] === 0x22) {
    return line.toString('latin1', 7, 43);
  }
  return undefined;
}

export const isErrorLine = (line: Buffer) => line.subarray(0, ERROR_PREFIX.length).equals(ERROR_PREFIX);

/**
 * The complete, non-empty lines of a byte stream, as they arrive (one array
 * per chunk; a line split across chunks is joined). Newlines are dropped; a
 * last line without one is never yielded (the stream was cut in it).
 */
export async function* linesOf(body: AsyncIterable<Buffer>): AsyncGenerator<Buffer[]> {
  let partial: Buffer[] = [];
  let partialBytes = 0;
  for await (const chunk of body) {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      let line = chunk.subarray(start, nl);
      start = nl + 1;
      if (partial.length > 0) {
        line = Buffer.concat([...partial, line]);
        partial = [];
        partialBytes = 0;
      }
      if (line.length > 0) lines.push(line);
    }
    if (start < chunk.length) {
      partial.push(chunk.subarray(start));
      partialBytes += chunk.length - start;
      if (partialBytes > MAX_LINE_BYTES)
        throw new Error(`a catalog line is longer than ${MAX_LINE_BYTES} bytes`);
    }
    if (lines.length > 0) yield lines;
  }
  if (partial.length > 0) throw new Error('the catalog stream ended inside a line');
}
