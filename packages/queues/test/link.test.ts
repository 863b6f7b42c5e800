// The one connection manager, against a real RabbitMQ: publishers reopen on
// next use after the broker closed their channel; consumers reopen by
// themselves and set up again. A channel is closed from the server side by
// publishing to an exchange that does not exist (404 closes it).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import amqp from 'amqplib';
import {
  BrokerUnavailableError,
  createBrokerLink,
  createScanPublisher,
  type ScanRequest,
} from '@tonegraph/queues';
import { isolation, testServices } from '@tonegraph/testing';

const url = testServices().AMQP_URL;
const queue = isolation().queue('link');
const quiet = { warn() {} };

after(async () => {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  await ch.deleteQueue(queue);
  await conn.close();
});

/** Gets the broker to close `ch`, and waits until it has. */
async function breakChannel(ch: amqp.ConfirmChannel): Promise<void> {
  const closed = new Promise((resolve) => ch.once('close', resolve));
  ch.publish(`no-such-exchange-${queue}`, '', Buffer.from('x'));
  await closed;
}

const request = (jobId: string): ScanRequest => ({
  jobId,
  libraryId: 'lib',
  mode: 'FULL',
  requestedAt: new Date(0).toISOString(),
});

test('a publisher whose channel the broker closed reopens on its next publish; messages are confirmed and persistent', async () => {
  const publisher = createScanPublisher(url, queue, 2000);
  const link = createBrokerLink({ url, log: quiet });
  try {
    await publisher.publish(request('a'));
    await breakChannel(await link.channel());
    assert.equal(link.connected(), false, 'a closed channel takes its connection down');
    await link.channel();
    assert.equal(link.connected(), true, 'and the next use opens a new one');
    await publisher.publish(request('b'));
    const ch = await link.channel();
    const first = await ch.get(queue, { noAck: true });
    const second = await ch.get(queue, { noAck: true });
    assert.ok(first && second);
    assert.deepEqual(JSON.parse(first.content.toString()), request('a'));
    assert.equal(second.properties.messageId, 'b');
    assert.equal(second.properties.deliveryMode, 2, 'persistent');
  } finally {
    await Promise.all([publisher.close(), link.close()]);
  }
});

test('a consuming link reopens by itself and runs its set-up again on the new connection', async () => {
  let opened = 0;
  const link = createBrokerLink({
    url,
    reconnect: true,
    log: quiet,
    onOpen: async (ch) => {
      opened++;
      await ch.assertQueue(queue, { durable: true });
    },
  });
  try {
    await breakChannel(await link.channel());
    assert.throws(() => link.current(), BrokerUnavailableError);
    for (let i = 0; i < 100 && !link.connected(); i++) await sleep(50);
    assert.equal(link.connected(), true, 'reconnected within 5 s');
    assert.equal(opened, 2);
  } finally {
    await link.close();
  }
});

test('close is idempotent, and a closed link refuses to open', async () => {
  const link = createBrokerLink({ url, log: quiet });
  await link.channel();
  const first = link.close();
  assert.equal(link.close(), first);
  await first;
  assert.equal(link.connected(), false);
  await assert.rejects(link.channel(), BrokerUnavailableError);
});

test('a broker that cannot be reached is a BrokerUnavailableError, with the cause', async () => {
  const link = createBrokerLink({ url: 'amqp://127.0.0.1:1', connectTimeoutMs: 1000 });
  await assert.rejects(link.channel(), (error: unknown) => {
    assert.ok(error instanceof BrokerUnavailableError);
    assert.ok(error.cause);
    return true;
  });
  await link.close();
});
