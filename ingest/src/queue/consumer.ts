import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Logger } from '@tonegraph/logger';
import {
  RETRIES_HEADER,
  giveUpFailureFate,
  jobFate,
  publishJson,
  retriesOf,
  type RetryPolicy,
} from '@tonegraph/queues';
import type { StageSpec } from './stages.ts';

/** What a consumer shares with its worker. */
export interface ConsumerContext {
  readonly log: Logger;
  readonly policy: RetryPolicy;
  /** Called as a delivery starts and as it is settled, for draining on stop. */
  readonly started: () => void;
  readonly done: () => void;
}

/** A scan that failed is put back on its queue after this long. */
const SCAN_REQUEUE_MS = 1000;

const parse = (msg: ConsumeMessage): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(msg.content.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/**
 * Consumes `stage` on `channel`: each message is acked only after its
 * handler has committed; a failure is retried, deferred, given up or
 * dead-lettered as {@link jobFate} decides. Returns the consumer tag.
 */
export async function consumeStage(
  channel: ConfirmChannel,
  stage: StageSpec<object>,
  ctx: ConsumerContext,
): Promise<string> {
  const { log } = ctx;
  /**
   * Acks and nacks on a channel that closed meanwhile throw; the broker has
   * already put the message back on its queue then, so there is nothing to do.
   */
  const settle = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      log.warn({ err: error }, 'message not settled: its channel closed; the broker redelivers it');
    }
  };
  const ack = (msg: ConsumeMessage) => settle(() => channel.ack(msg));
  const nack = (msg: ConsumeMessage, requeue: boolean) => settle(() => channel.nack(msg, false, requeue));

  /** Carries out the fate of a failed job; `retry` is absent for scans. */
  const failed = async (msg: ConsumeMessage, job: Record<string, unknown>, error: unknown) => {
    const retry = stage.retry;
    const context = { stage: stage.name, jobId: job.jobId, path: job.path };
    if (!retry) {
      stage.count('retried');
      log.error({ err: error, jobId: job.jobId }, `${stage.name} failed; requeued`);
      setTimeout(() => nack(msg, true), SCAN_REQUEUE_MS).unref();
      return;
    }
    const retries = retriesOf(msg.properties.headers, RETRIES_HEADER);
    const reason = error instanceof Error ? error.message : String(error);
    let fate = jobFate(error, retries, ctx.policy);
    if (fate.action === 'give-up') {
      if (fate.unrecoverable) log.info({ ...context, reason }, `${stage.name} job cannot succeed; given up`);
      else log.error({ ...context, retries, reason }, `${stage.name} job failed for good`);
      try {
        await retry.gaveUp(job, fate.reason, error);
        ack(msg);
        stage.count('failed');
        return;
      } catch (recordError) {
        const next = giveUpFailureFate(recordError, retries, ctx.policy);
        if (next.action === 'dead-letter') {
          nack(msg, false); // to the dead-letter queue, with the message intact
          stage.count('dead');
          return;
        }
        fate = next;
      }
    }
    try {
      if (fate.action === 'defer') {
        if (!retry.delayed) {
          log.error(context, `${stage.name} jobs cannot be deferred (no delayed queue); dead-lettered`);
          nack(msg, false);
          stage.count('dead');
          return;
        }
        const deferrals = typeof job.deferrals === 'number' ? job.deferrals : 0;
        await publishJson(
          channel,
          retry.delayed,
          { ...job, deferrals: deferrals + 1 },
          { expiration: fate.delayMs },
        );
        ack(msg);
        stage.count('done'); // a deferral is the job done for now
        return;
      }
      log.warn(
        { ...context, retries, reason, outage: fate.outage },
        `${stage.name} job failed; retrying after a delay`,
      );
      // An outage does not count against the job: it waits for the service to come back.
      await publishJson(channel, retry.queue, job, { headers: { [RETRIES_HEADER]: fate.retries } });
      ack(msg);
      stage.count('retried');
    } catch {
      nack(msg, true);
    }
  };

  const { consumerTag } = await channel.consume(stage.queue, (msg) => {
    if (!msg) return;
    const job = parse(msg);
    if (!job || !stage.isJob(job)) {
      log.error(
        { body: msg.content.toString('utf8').slice(0, 200) },
        `malformed ${stage.name} job; dead-lettered`,
      );
      nack(msg, false);
      return;
    }
    ctx.started();
    const end = stage.observe?.();
    void stage
      .handle(job)
      .then(
        () => {
          ack(msg);
          stage.count('done');
        },
        (error: unknown) => failed(msg, job, error),
      )
      .finally(() => {
        end?.();
        ctx.done();
      });
  });
  return consumerTag;
}
