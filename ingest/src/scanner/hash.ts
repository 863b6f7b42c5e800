import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';

const CHUNK_BYTES = 256 * 1024;

/** SHA-256 of a file's content, hex, read in 256 KiB chunks. */
export async function hashFile(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    return await hashHandle(handle);
  } finally {
    await handle.close();
  }
}

/** SHA-256 of an open file's content from its start, hex, read in 256 KiB chunks into one buffer. */
export async function hashHandle(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  for (let position = 0; ;) {
    const { bytesRead } = await handle.read(chunk, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    // update() consumes the bytes before returning, so the buffer can be reused.
    hash.update(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
  return hash.digest('hex');
}
