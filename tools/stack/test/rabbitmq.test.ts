import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import { isolation, testServices } from '@tonegraph/testing';

const names = isolation();
const work = names.queue('work');
const dead = names.queue('dead');
let connection: amqp.ChannelModel;
let channel: amqp.ConfirmChannel;

before(async () => {
  connection = await amqp.connect(testServices().AMQP_URL);
  channel = await connection.createConfirmChannel();
  await channel.assertQueue(dead, { durable: true });
  await channel.assertQueue(work, {
    durable: true,
    deadLetterExchange: '',
    deadLetterRoutingKey: dead,
  });
  await channel.prefetch(10);
});

after(async () => {
  await channel?.deleteQueue(work);
  await channel?.deleteQueue(dead);
  await connection?.close();
});

/** Publishes with a broker confirm; resolves once the broker has the message. */
function publish(queue: string, body: object): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(body)), { persistent: true }, (err) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
    );
  });
}

let consumers = 0;

/** Consumes exactly one message, then cancels the consumer. */
function nextMessage(queue: string): Promise<amqp.ConsumeMessage> {
  // A tag chosen up front: a delivery can arrive before consume() resolves.
  const consumerTag = `${queue}.c${++consumers}`;
  return new Promise((resolve, reject) => {
    channel
      .consume(
        queue,
        (msg) => {
          if (msg) void channel.cancel(consumerTag).then(() => resolve(msg), reject);
        },
        { consumerTag },
      )
      .catch(reject);
  });
}

test('a confirmed message is consumed and acked', async () => {
  await publish(work, { path: '/music/a.flac' });
  const msg = await nextMessage(work);
  assert.deepEqual(JSON.parse(msg.content.toString()), { path: '/music/a.flac' });
  assert.equal(msg.properties.deliveryMode, 2);
  channel.ack(msg);
  const { messageCount } = await channel.checkQueue(work);
  assert.equal(messageCount, 0);
});

test('a nacked message goes to the dead-letter queue', async () => {
  await publish(work, { path: '/music/corrupt.mp3' });
  const msg = await nextMessage(work);
  channel.nack(msg, false, false);
  const deadMsg = await nextMessage(dead);
  assert.deepEqual(JSON.parse(deadMsg.content.toString()), { path: '/music/corrupt.mp3' });
  const death = deadMsg.properties.headers?.['x-death'] as { queue: string; reason: string }[] | undefined;
  assert.equal(death?.[0]?.queue, work);
  assert.equal(death?.[0]?.reason, 'rejected');
  channel.ack(deadMsg);
});
