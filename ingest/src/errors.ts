/**
 * A file that can never be imported as it is (corrupt, truncated, not audio).
 * The pipeline records it as an ImportError and moves on; it is never retried.
 */
export class PermanentFileError extends Error {
  override name = 'PermanentFileError';
  readonly stage: string;

  constructor(stage: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.stage = stage;
  }
}

/** True for errors worth retrying later: the disk or a service, not the file. */
export function isTransient(error: unknown): boolean {
  if (error instanceof PermanentFileError) return false;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'EAGAIN' || code === 'EBUSY';
}
