import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';

/** A scan request as the ingest workers consume it. */
export interface ScanRequest {
  readonly jobId: string;
  readonly libraryId: string;
  readonly mode: 'FULL' | 'INCREMENTAL';
  readonly requestedAt: string;
}

export interface ScanPublisher {
  /** Resolves once the broker has confirmed the persistent message. */
  publish(request: ScanRequest): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes scan requests on a durable queue with publisher confirms. The
 * connection is opened on first use and reopened after it drops, so a broker
 * restart costs the requests made while it is down, which fail loudly.
 */
export function createScanPublisher(url: string, queue: string, timeoutMs = 5000): ScanPublisher {
  const link = createConfirmLink(url, timeoutMs, (ch) => ch.assertQueue(queue, { durable: true }));
  return {
    async publish(request) {
      const ch = await link.channel();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('broker did not confirm in time')), timeoutMs);
        ch.sendToQueue(
          queue,
          Buffer.from(JSON.stringify(request)),
          { persistent: true, contentType: 'application/json', messageId: request.jobId },
          (err) => {
            clearTimeout(timer);
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
            else resolve();
          },
        );
      });
    },
    close: () => link.close(),
  };
}

/**
 * A confirm channel opened on first use and reopened after the connection
 * drops, so a broker restart costs only the messages sent while it is down,
 * which fail loudly. `declare` asserts the queues on each new channel.
 */
function createConfirmLink(
  url: string,
  timeoutMs: number,
  declare: (ch: amqp.ConfirmChannel) => Promise<unknown>,
): { channel(): Promise<amqp.ConfirmChannel>; close(): Promise<void> } {
  let channel: Promise<amqp.ConfirmChannel> | undefined;
  let connection: amqp.ChannelModel | undefined;

  const open = async () => {
    const conn = await amqp.connect(url, { timeout: timeoutMs });
    connection = conn;
    const reset = () => {
      channel = undefined;
      connection = undefined;
    };
    conn.on('close', reset);
    conn.on('error', reset);
    const ch = await conn.createConfirmChannel();
    ch.on('close', reset);
    ch.on('error', reset);
    await declare(ch);
    return ch;
  };

  return {
    channel() {
      channel ??= open().catch((error: unknown) => {
        channel = undefined;
        throw error;
      });
      return channel;
    },
    async close() {
      const conn = connection;
      channel = undefined;
      connection = undefined;
      await conn?.close().catch(() => undefined);
    },
  };
}

/** A track to re-enrich, as `enrichTracks` queues it for ingest's enrichment stage. */
export interface EnrichmentRequest {
  readonly trackId: string;
  /** The track's file, for logs. */
  readonly path: string;
}

export interface EnrichmentPublisher {
  /** Queues the tracks' enrichment; resolves with how many were queued once the broker confirmed them. */
  publish(requests: readonly EnrichmentRequest[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * Publishes enrichment jobs straight onto ingest's enrichment queue
 * (`<QUEUE_PREFIX>.enrichment`), declared with the arguments ingest gives it
 * (dead-lettered to `<queue>.dead`), persistent and confirmed. Each job is
 * `{ jobId: 'rerun:<uuid>', trackId, path }`: a re-run belongs to no import job.
 */
export function createEnrichmentPublisher(url: string, queue: string, timeoutMs = 5000): EnrichmentPublisher {
  const link = createConfirmLink(url, timeoutMs, (ch) =>
    ch.assertQueue(queue, { durable: true, deadLetterExchange: '', deadLetterRoutingKey: `${queue}.dead` }),
  );

  return {
    async publish(requests) {
      const ch = await link.channel();
      const rerun = `rerun:${randomUUID()}`;
      for (let i = 0; i < requests.length; i += 1000) {
        for (const r of requests.slice(i, i + 1000)) {
          ch.sendToQueue(
            queue,
            Buffer.from(JSON.stringify({ jobId: rerun, trackId: r.trackId, path: r.path })),
            { persistent: true, contentType: 'application/json' },
          );
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          ch.waitForConfirms(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('broker did not confirm in time')), timeoutMs);
          }),
        ]).finally(() => clearTimeout(timer));
      }
      return requests.length;
    },
    close: () => link.close(),
  };
}
