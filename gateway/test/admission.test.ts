// Admission control: a subgraph that holds its answers (a gate the test
// opens) behind a gateway allowing 2 fetches in flight and 2 queued. The
// excess is answered at once with 503 OVERLOADED and Retry-After while the
// gate is still closed; the accepted requests complete once it opens.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually } from '@tonegraph/testing';
import { startGateway, type RunningGateway } from './support.ts';
import { askEcho, metricValue, startGatedSubgraph, type GatedSubgraph } from './traffic-support.ts';

let subgraph: GatedSubgraph;
let gw: RunningGateway;

before(async () => {
  subgraph = await startGatedSubgraph();
  gw = await startGateway(subgraph.supergraphSdl, {
    admission: { maxConcurrent: 2, maxQueue: 2, maxWaitMs: 0 },
  });
});
after(async () => {
  await gw?.stop();
  await subgraph?.stop();
});

const metric = (name: string, labels: Record<string, string> = {}) =>
  metricValue(gw.gateway.metrics.registry, `tonegraph_gateway_subgraph_fetches_${name}`, labels);
const echo = (tag: string, signal?: AbortSignal) => askEcho(gw.url, tag, signal);

test('past the queue, requests get 503 OVERLOADED with Retry-After at once; accepted ones complete', async () => {
  subgraph.close();
  const accepted = [echo('a1'), echo('a2')];
  await eventually(() => subgraph.requests === 2);
  accepted.push(echo('q1'), echo('q2'));
  await eventually(async () => (await metric('queued', { subgraph: 'gated' })) === 2);

  // The gate is still closed: these answers cannot have waited for the subgraph.
  const excess = await Promise.all([echo('x1'), echo('x2'), echo('x3')]);
  for (const res of excess) {
    assert.equal(res.status, 503);
    assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
    assert.equal(body.data, undefined, 'no partial data');
    assert.deepEqual(
      body.errors.map((e) => e.extensions.code),
      ['OVERLOADED'],
    );
  }
  assert.equal(await metric('shed_total', { subgraph: 'gated', reason: 'queue_full' }), 3);

  subgraph.open();
  const answers = await Promise.all(accepted);
  assert.deepEqual(
    answers.map((r) => r.status),
    [200, 200, 200, 200],
  );
  assert.deepEqual(
    await Promise.all(answers.map(async (r) => ((await r.json()) as { data: { echo: string } }).data.echo)),
    ['a1', 'a2', 'q1', 'q2'],
  );
  assert.equal(subgraph.requests, 4, 'the shed requests never reached the subgraph');
});

test('a queued request whose client leaves is dropped from the queue and never sent', async () => {
  subgraph.close();
  const before = subgraph.requests;
  const running = [echo('r1'), echo('r2')];
  await eventually(() => subgraph.requests - before === 2);
  const client = new AbortController();
  const leaving = echo('gone', client.signal).catch(() => undefined);
  await eventually(async () => (await metric('queued', { subgraph: 'gated' })) === 1);
  client.abort();
  await leaving;
  await eventually(async () => (await metric('queued', { subgraph: 'gated' })) === 0);
  assert.equal(await metric('cancelled_total', { subgraph: 'gated', stage: 'queued' }), 1);
  subgraph.open();
  for (const res of await Promise.all(running)) assert.equal(res.status, 200);
  assert.equal(subgraph.requests - before, 2, 'the cancelled request was not sent');
});
