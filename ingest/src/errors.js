/**
 * A file that can never be imported as it is (corrupt, truncated, not audio).
 * The pipeline records it as an ImportError and moves on; it is never retried.
 */
export class PermanentFileError extends Error {
  name = 'PermanentFileError';
  stage;
  constructor(stage, message, options) {
    super(message, options);
    this.stage = stage;
  }
}
/** True for errors worth retrying later: the disk or a service, not the file. */
export function isTransient(error) {
  if (error instanceof PermanentFileError) return false;
  const code = error?.code;
  return code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'EAGAIN' || code === 'EBUSY';
}
