import type { ConfirmChannel } from 'amqplib';

/** Options of one message. */
export interface PublishOptions {
  readonly headers?: Record<string, unknown>;
  /** Milliseconds the message may wait in its queue before it is dead-lettered (delayed queues). */
  readonly expiration?: number;
  readonly messageId?: string;
  /** Rejects when the broker has not confirmed within this many ms; default: waits. */
  readonly timeoutMs?: number;
}

/** Jobs published, then confirmed, per round: a 100k-file scan never buffers everything at once. */
const CONFIRM_BATCH = 1000;

/** Publishes `body` as a persistent JSON message on `queue`; resolves once the broker has confirmed it. */
export function publishJson(
  channel: ConfirmChannel,
  queue: string,
  body: unknown,
  options: PublishOptions = {},
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => reject(new Error('broker did not confirm in time')), options.timeoutMs);
    channel.sendToQueue(
      queue,
      Buffer.from(JSON.stringify(body)),
      {
        persistent: true,
        contentType: 'application/json',
        headers: options.headers ?? {},
        ...(options.messageId === undefined ? {} : { messageId: options.messageId }),
        ...(options.expiration === undefined
          ? {}
          : { expiration: String(Math.max(0, Math.round(options.expiration))) }),
      },
      (err) => {
        clearTimeout(timer);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      },
    );
  });
}

/** Publishes every body on `queue`, confirmed in rounds of 1000; resolves once all are confirmed. */
export async function publishAll(
  channel: ConfirmChannel,
  queue: string,
  bodies: readonly unknown[],
  options: Pick<PublishOptions, 'timeoutMs'> = {},
): Promise<void> {
  for (let i = 0; i < bodies.length; i += CONFIRM_BATCH) {
    await Promise.all(
      bodies.slice(i, i + CONFIRM_BATCH).map((body) => publishJson(channel, queue, body, options)),
    );
  }
}
