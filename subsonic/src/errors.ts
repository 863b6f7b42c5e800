/** Subsonic's error codes (subsonic.org/pages/api.jsp, and OpenSubsonic's 41–44). */
export const ErrorCode = {
  Generic: 0,
  MissingParameter: 10,
  ClientTooOld: 20,
  ServerTooOld: 30,
  WrongCredentials: 40,
  TokenAuthNotSupported: 41,
  AuthMechanismNotSupported: 42,
  ConflictingAuth: 43,
  InvalidApiKey: 44,
  NotAuthorized: 50,
  NotFound: 70,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An error answered to the client in the Subsonic envelope (`status="failed"`). */
export class SubsonicError extends Error {
  override name = 'SubsonicError';
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string) {
    super(message);
    this.code = code;
  }
}

export const missing = (name: string) =>
  new SubsonicError(ErrorCode.MissingParameter, `Required parameter '${name}' is missing`);
export const notFound = (what: string) => new SubsonicError(ErrorCode.NotFound, `${what} not found`);
export const badParam = (name: string, why: string) =>
  new SubsonicError(ErrorCode.Generic, `Parameter '${name}' ${why}`);
