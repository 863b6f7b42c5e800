// Admission of GraphQL HTTP requests on arrival: a subgraph that holds its
// answers (a gate the test opens) behind a gateway running 2 requests at
// once with 1 waiting. Requests past that are answered 503 OVERLOADED with
// Retry-After before their body is read, while the gate is still closed;
// a waiting request is shed once it has waited too long, or dropped when
// its client leaves; the admitted ones complete once the gate opens.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { eventually } from '@tonegraph/testing';
import { startGateway, type RunningGateway } from './support.ts';
import { askEcho, metricValue, startGatedSubgraph, type GatedSubgraph } from './traffic-support.ts';

let subgraph: GatedSubgraph;
const gateways: RunningGateway[] = [];

before(async () => {
  subgraph = await startGatedSubgraph();
});
afterEach(async () => {
  subgraph.open();
  await Promise.all(gateways.splice(0).map((gw) => gw.stop()));
});
after(async () => {
  await subgraph?.stop();
});

async function gatewayWith(maxWaitMs?: number) {
  const gw = await startGateway(subgraph.supergraphSdl, {
    admission: false,
    deduplicateFetches: false,
    entryAdmission: { maxConcurrent: 2, maxQueue: 1, ...(maxWaitMs === undefined ? {} : { maxWaitMs }) },
  });
  gateways.push(gw);
  const metric = (name: string, labels: Record<string, string> = {}) =>
    metricValue(gw.gateway.metrics.registry, `tonegraph_gateway_requests_${name}`, labels);
  const echo = (tag: string, signal?: AbortSignal) => askEcho(gw.url, tag, signal);
  return { metric, echo };
}

async function assertOverloaded(res: Response) {
  assert.equal(res.status, 503);
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await res.json()) as { data?: unknown; errors: { extensions: { code: string } }[] };
  assert.equal(body.data, undefined);
  assert.deepEqual(
    body.errors.map((e) => e.extensions.code),
    ['OVERLOADED'],
  );
}

test('past the running and waiting requests, a request is answered 503 OVERLOADED at once', async () => {
  const { metric, echo } = await gatewayWith(0);
  subgraph.close();
  const before = subgraph.requests;
  const accepted = [echo('a1'), echo('a2')];
  await eventually(() => subgraph.requests - before === 2);
  assert.equal(await metric('in_flight'), 2);
  accepted.push(echo('q1'));
  await eventually(async () => (await metric('queued')) === 1);

  // The gate is still closed: these answers cannot have waited for the subgraph.
  for (const res of await Promise.all([echo('x1'), echo('x2')])) await assertOverloaded(res);
  assert.equal(await metric('shed_total', { reason: 'queue_full' }), 2);

  subgraph.open();
  const answers = await Promise.all(accepted);
  assert.deepEqual(
    await Promise.all(answers.map(async (r) => ((await r.json()) as { data: { echo: string } }).data.echo)),
    ['a1', 'a2', 'q1'],
  );
  assert.equal(subgraph.requests - before, 3, 'the shed requests never reached the subgraph');
  await eventually(async () => (await metric('in_flight')) === 0);
});

test('a waiting request is shed once it has waited the longest wait', async () => {
  const { metric, echo } = await gatewayWith(200);
  subgraph.close();
  const before = subgraph.requests;
  const running = [echo('r1'), echo('r2')];
  await eventually(() => subgraph.requests - before === 2);
  const started = performance.now();
  const waiting = await echo('w1');
  const waitedMs = performance.now() - started;
  await assertOverloaded(waiting);
  assert.ok(waitedMs >= 150, `shed after ${waitedMs.toFixed(0)} ms, not before its wait`);
  assert.equal(await metric('shed_total', { reason: 'waited' }), 1);
  assert.equal(await metric('queued'), 0);
  subgraph.open();
  for (const res of await Promise.all(running)) assert.equal(res.status, 200);
  assert.equal(subgraph.requests - before, 2);
});

test('a waiting request whose client leaves is dropped and never executed', async () => {
  const { metric, echo } = await gatewayWith(0);
  subgraph.close();
  const before = subgraph.requests;
  const running = [echo('r1'), echo('r2')];
  await eventually(() => subgraph.requests - before === 2);
  const client = new AbortController();
  const leaving = echo('gone', client.signal).catch(() => undefined);
  await eventually(async () => (await metric('queued')) === 1);
  client.abort();
  await leaving;
  await eventually(async () => (await metric('cancelled_total')) === 1);
  assert.equal(await metric('queued'), 0);
  subgraph.open();
  for (const res of await Promise.all(running)) assert.equal(res.status, 200);
  // A new request is admitted: the cancelled one holds no slot.
  const next = await echo('next');
  assert.equal(next.status, 200);
  assert.equal(subgraph.requests - before, 3, 'the cancelled request was not executed');
});

test('by default a waiting request is not shed for its wait: it runs when a turn frees, within its deadline', async () => {
  const { metric, echo } = await gatewayWith();
  subgraph.close();
  const before = subgraph.requests;
  const running = [echo('r1'), echo('r2')];
  await eventually(() => subgraph.requests - before === 2);
  const waiting = echo('w1');
  await eventually(async () => (await metric('queued')) === 1);
  // Longer than any fixed wait bound a client would notice: still waiting, not refused.
  await new Promise((resolve) => setTimeout(resolve, 1200));
  assert.equal(await metric('queued'), 1);
  subgraph.open();
  const answers = await Promise.all([...running, waiting]);
  assert.deepEqual(
    answers.map((r) => r.status),
    [200, 200, 200],
  );
  assert.equal(((await answers[2]!.json()) as { data: { echo: string } }).data.echo, 'w1');
  for (const reason of ['queue_full', 'expected_wait', 'waited', 'deadline'])
    assert.equal(await metric('shed_total', { reason }), 0, reason);
});
