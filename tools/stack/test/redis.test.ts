import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { isolation, testServices } from '@tonegraph/testing';

const { redisPrefix } = isolation();
let publisher: Redis;
let subscriber: Redis;

before(() => {
  // A connection in subscriber mode cannot PUBLISH, hence two.
  publisher = new Redis(testServices().REDIS_URL);
  subscriber = new Redis(testServices().REDIS_URL);
});

after(() => {
  publisher?.disconnect();
  subscriber?.disconnect();
});

test('a message published on one connection reaches a subscriber on another', async () => {
  const channel = `${redisPrefix}import-progress`;
  await subscriber.subscribe(channel);
  const received = once(subscriber, 'message');
  const receivers = await publisher.publish(channel, JSON.stringify({ processed: 3, total: 10 }));
  assert.equal(receivers, 1);
  const [gotChannel, payload] = (await received) as [string, string];
  assert.equal(gotChannel, channel);
  assert.deepEqual(JSON.parse(payload), { processed: 3, total: 10 });
  // An unrelated channel does not reach this subscriber.
  assert.equal(await publisher.publish(`${redisPrefix}other`, 'x'), 0);
});
