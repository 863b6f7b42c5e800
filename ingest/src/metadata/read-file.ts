import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { PermanentFileError } from '../errors.ts';
import { hashHandle } from '../scanner/hash.ts';
import { readMetadata, type TrackMetadata } from './extract.ts';
import type { ReadBuffers } from './read-buffers.ts';

/** One audio file as read: size and mtime of what was read, content hash, tags and format. */
export interface AudioFile {
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentHash: string;
  readonly meta: TrackMetadata;
}

export interface ReadOptions {
  /** Where whole-file buffers come from; a file that gets none is streamed. */
  readonly buffers: ReadBuffers;
  /** Hash, then parse, when the file is streamed (sequential mode); otherwise both at once. */
  readonly oneStepAtATime?: boolean;
}

/**
 * Reads an audio file for the catalog: stat, SHA-256 and tags from one open
 * handle. A file that gets a buffer is read whole with one read, then
 * hashed and parsed from memory: music-metadata's own tokenizer issues
 * dozens of small reads per file, which cost more CPU than hashing the
 * bytes. Other files are hashed in chunks while music-metadata reads the
 * parts it needs. An error opening the file (ENOENT: deleted since the
 * scan) is thrown as it is; one that can never be read (permissions) and a
 * path that is no longer a regular file (replaced by a FIFO or a device,
 * which would block or never end) are PermanentFileErrors; see
 * readMetadata for the others.
 */
export async function readAudioFile(file: string, options: ReadOptions): Promise<AudioFile> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, holding a libuv thread.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new PermanentFileError('read', `${path.basename(file)} cannot be read: permission denied`, {
        cause: error,
      });
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile())
      throw new PermanentFileError('read', `${path.basename(file)} is no longer a regular file`);
    const buffer = options.buffers.take(info.size);
    if (buffer) {
      try {
        const content = await readWhole(handle, buffer, info.size);
        const contentHash = createHash('sha256').update(content).digest('hex');
        const meta = await readMetadata(file, content);
        return { size: content.length, mtimeMs: info.mtimeMs, contentHash, meta };
      } finally {
        // Nothing refers to the content any more: music-metadata copies what it keeps.
        options.buffers.give(buffer);
      }
    }
    const [contentHash, meta] = options.oneStepAtATime
      ? [await hashHandle(handle), await readMetadata(file)]
      : await Promise.all([hashHandle(handle), readMetadata(file)]);
    return { size: info.size, mtimeMs: info.mtimeMs, contentHash, meta };
  } finally {
    await handle.close();
  }
}

/** The file's first `size` bytes (fewer if it shrank meanwhile) in `buffer`, in as few reads as the OS allows. */
async function readWhole(handle: FileHandle, buffer: Buffer, size: number): Promise<Buffer> {
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
