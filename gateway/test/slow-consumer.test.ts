// A WebSocket client that stops reading is closed with 1013 once the bytes
// waiting for it pass the bound, instead of the gateway buffering without end.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCatalog, type Harness } from '@tonegraph/catalog/test-harness';
import { eventually } from '@tonegraph/testing';
import {
  composeWithRecorder,
  startGateway,
  startRecorder,
  type Recorder,
  type RunningGateway,
} from './support.ts';

let catalog: Harness;
let recorder: Recorder;
let gw: RunningGateway;

before(async () => {
  catalog = await startCatalog();
  recorder = await startRecorder();
  gw = await startGateway(await composeWithRecorder(catalog.url, recorder.url), {
    wsLimits: { maxBufferedBytes: 256 * 1024 },
  });
});

after(async () => {
  await gw?.stop();
  await recorder?.stop();
  await catalog?.close();
});

const rejections = async (code: string) => {
  const text = await (await fetch(gw.url.replace(/\/graphql$/, '/metrics'))).text();
  return Number(
    new RegExp(`tonegraph_gateway_rejections_total\\{code="${code}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
  );
};

test('a client that stops reading is closed with 1013', async () => {
  const socket = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init' }));
  await new Promise((resolve) => socket.once('message', resolve));
  socket.send(
    JSON.stringify({
      id: '1',
      type: 'subscribe',
      payload: { query: 'subscription { blobs(size: 1048576, count: 40) }' },
    }),
  );
  // Stop reading: the kernel buffers fill, then the gateway's socket buffer.
  socket.pause();
  await eventually(async () => (await rejections('SLOW_CONSUMER')) >= 1, { timeoutMs: 20_000 });
  socket.resume();
  assert.equal(await closed, 1013);
});
