import type { ErrorRequestHandler, RequestHandler } from 'express';

export const HttpLimitCode = {
  /** The request body is over the size limit (HTTP 413). */
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  /** A batched request has more operations than allowed (HTTP 400). */
  BatchTooLarge: 'BATCH_LIMIT_EXCEEDED',
  /** The body is not valid JSON (HTTP 400). */
  BadJson: 'BAD_REQUEST',
  /** The request's deadline passed; in-flight subgraph fetches were aborted. */
  Timeout: 'GATEWAY_TIMEOUT',
} as const;

/** Bounds on HTTP requests, besides the per-operation limits. */
export interface HttpLimits {
  /** Largest request body, in bytes; larger gets 413 PAYLOAD_TOO_LARGE. Default 1 MiB. */
  readonly maxBodyBytes: number;
  /** Operations in one batched request; more get 400 BATCH_LIMIT_EXCEEDED. Default 10. */
  readonly maxBatch: number;
  /** Whole-request deadline in ms; aborts subgraph fetches still running (GATEWAY_TIMEOUT). Default 30000. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 10,
  requestTimeoutMs: 30_000,
};

const body = (message: string, code: string, extensions: Record<string, unknown> = {}) => ({
  errors: [{ message, extensions: { code, ...extensions } }],
});

/** Refuses a JSON array body with more than `max` operations (Apollo runs batches only when enabled). */
export function batchLimit(max: number, onReject?: (code: string) => void): RequestHandler {
  return (req, res, next) => {
    const payload: unknown = req.body;
    if (Array.isArray(payload) && payload.length > max) {
      onReject?.(HttpLimitCode.BatchTooLarge);
      res.status(400).json(
        body(
          `A batch may hold at most ${max} operations; got ${payload.length}`,
          HttpLimitCode.BatchTooLarge,
          {
            limit: max,
          },
        ),
      );
      return;
    }
    next();
  };
}

/** body-parser's errors (too large, bad JSON) as GraphQL responses instead of express's HTML page. */
export function bodyErrors(maxBytes: number, onReject?: (code: string) => void): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    const type = (error as { type?: unknown }).type;
    if (res.headersSent) {
      next(error);
      return;
    }
    if (type === 'entity.too.large') {
      onReject?.(HttpLimitCode.PayloadTooLarge);
      res.status(413).json(
        body(`The request body is over ${maxBytes} bytes`, HttpLimitCode.PayloadTooLarge, {
          limit: maxBytes,
        }),
      );
      return;
    }
    if (type === 'entity.parse.failed') {
      res.status(400).json(body('The request body is not valid JSON', HttpLimitCode.BadJson));
      return;
    }
    next(error);
  };
}
