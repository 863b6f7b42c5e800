import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import type { Logger } from '@tonegraph/logger';
import { BrokerUnavailableError } from './errors.ts';

/** Options of {@link createBrokerLink}. */
export interface BrokerLinkOptions {
  readonly url: string;
  /** Most time to open the connection; default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Runs on every new connection, with its confirm channel: declares the
   * queues, starts consumers on channels of its own. When it throws, the
   * connection is closed and the open fails.
   */
  readonly onOpen?: (channel: ConfirmChannel, connection: ChannelModel) => Promise<unknown>;
  /**
   * `true` (consumers): reopen by itself after the connection drops, with
   * backoff from 500 ms doubling up to 15 s. Default `false` (publishers):
   * reopen on the next {@link BrokerLink.channel} call, so a broker restart
   * costs only the messages sent while it is down, which fail loudly.
   */
  readonly reconnect?: boolean;
  readonly log?: Pick<Logger, 'warn'>;
}

/** One AMQP connection and its confirm channel, reopened after the broker drops them. */
export interface BrokerLink {
  /** The confirm channel, opening the connection first while it is down; rejects with {@link BrokerUnavailableError}. */
  channel(): Promise<ConfirmChannel>;
  /** The confirm channel of the open connection (from `onOpen` on); throws {@link BrokerUnavailableError} while it is down. */
  current(): ConfirmChannel;
  /** True while the connection is open. */
  connected(): boolean;
  /** Closes the connection (unacked deliveries return to their queues) and stops reopening it. Idempotent. */
  close(): Promise<void>;
}

const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

/** The one connection manager of Tonegraph's queues: the catalog's publishers and ingest's worker use it. */
export function createBrokerLink(options: BrokerLinkOptions): BrokerLink {
  const { log } = options;
  let open: { connection: ChannelModel; channel: ConfirmChannel } | undefined;
  /** The channel as soon as it exists: consumers started by `onOpen` may publish before it returns. */
  let live: ConfirmChannel | undefined;
  let opening: Promise<ConfirmChannel> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = FIRST_DELAY_MS;
  let closed: Promise<void> | undefined;

  const connect = async (): Promise<ConfirmChannel> => {
    let connection: ChannelModel;
    try {
      connection = await amqp.connect(options.url, { timeout: options.connectTimeoutMs ?? 10_000 });
    } catch (error) {
      throw new BrokerUnavailableError('cannot connect to the broker', { cause: error });
    }
    let ready = false;
    let dropped = false;
    let opened: ConfirmChannel | undefined;
    // A closed channel leaves its connection up: close that too, so that everything reopens together.
    const drop = () => {
      if (dropped) return;
      dropped = true;
      if (open?.connection === connection) open = undefined;
      if (live === opened) live = undefined;
      void connection.close().catch(() => undefined);
      if (ready && options.reconnect && !closed) schedule('AMQP connection lost; reconnecting');
    };
    connection.on('error', (error: Error) => log?.warn({ err: error }, 'AMQP connection error'));
    connection.on('close', drop);
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', (error: Error) => log?.warn({ err: error }, 'AMQP channel error'));
      channel.on('close', drop);
      live = opened = channel;
      await options.onOpen?.(channel, connection);
      if (dropped) throw new BrokerUnavailableError('the broker closed the connection while it was set up');
      if (closed) throw new BrokerUnavailableError('the link was closed');
      ready = true;
      open = { connection, channel };
      delay = FIRST_DELAY_MS;
      return channel;
    } catch (error) {
      dropped = true;
      if (live === opened) live = undefined;
      await connection.close().catch(() => undefined);
      throw error;
    }
  };

  const channel = (): Promise<ConfirmChannel> => {
    if (open) return Promise.resolve(open.channel);
    if (closed) return Promise.reject(new BrokerUnavailableError('the broker link is closed'));
    opening ??= connect().finally(() => {
      opening = undefined;
    });
    return opening;
  };

  const schedule = (message: string) => {
    if (closed || timer) return;
    log?.warn({ retryInMs: delay }, message);
    timer = setTimeout(() => {
      timer = undefined;
      channel().catch((error: unknown) => {
        delay = Math.min(delay * 2, MAX_DELAY_MS);
        log?.warn({ err: error }, 'AMQP reconnect failed');
        schedule('AMQP reconnect failed; retrying');
      });
    }, delay).unref();
  };

  return {
    channel,
    current() {
      if (!live) throw new BrokerUnavailableError('the broker connection is down');
      return live;
    },
    connected: () => open !== undefined,
    close() {
      closed ??= (async () => {
        clearTimeout(timer);
        await opening?.catch(() => undefined);
        const connection = open?.connection;
        open = undefined;
        live = undefined;
        await connection?.close().catch(() => undefined);
      })();
      return closed;
    },
  };
}
