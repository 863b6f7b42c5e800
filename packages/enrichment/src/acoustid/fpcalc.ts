import { execFile } from 'node:child_process';
import { FingerprintError } from '../errors.ts';

/** A Chromaprint fingerprint and the audio's duration in seconds. */
export interface Fingerprint {
  readonly fingerprint: string;
  readonly duration: number;
}

/**
 * Reads `fpcalc -json` output. fpcalc exits 3 when it hit decoding errors
 * but still fingerprinted what it could decode, so the output, not the exit
 * code, says whether there is a fingerprint. Undefined when there is none.
 */
export function parseFpcalcOutput(stdout: string): Fingerprint | undefined {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.slice(start, end + 1));
  } catch {
    return undefined;
  }
  const { fingerprint, duration } = (parsed ?? {}) as { fingerprint?: unknown; duration?: unknown };
  if (typeof fingerprint !== 'string' || !/^[A-Za-z0-9_-]{8,}$/.test(fingerprint)) return undefined;
  if (typeof duration !== 'number' || !(duration > 0)) return undefined;
  return { fingerprint, duration };
}

/** Options of {@link fingerprintFile}. */
export interface FpcalcOptions {
  /** The fpcalc binary. Default `fpcalc` (Debian: libchromaprint-tools). */
  readonly binary?: string;
  /** Seconds of audio fingerprinted (fpcalc's -length). Default 120, as AcoustID expects. */
  readonly lengthSeconds?: number;
  /** Time allowed. Default 60 000 ms. */
  readonly timeoutMs?: number;
}

/** Fingerprints a file with `fpcalc -json`; throws FingerprintError when no fingerprint came out. */
export function fingerprintFile(file: string, options: FpcalcOptions = {}): Promise<Fingerprint> {
  const args = ['-json', '-length', String(options.lengthSeconds ?? 120), file];
  return new Promise((resolve, reject) => {
    execFile(
      options.binary ?? 'fpcalc',
      args,
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const result = parseFpcalcOutput(stdout);
        if (result) resolve(result);
        else {
          const why = error ? `${error.message.split('\n')[0]}` : 'no fingerprint in its output';
          reject(
            new FingerprintError(`fpcalc failed on ${file}: ${why} ${stderr.trim()}`.trim(), {
              cause: error,
            }),
          );
        }
      },
    );
  });
}
