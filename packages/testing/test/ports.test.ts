import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, freePortBase } from '@tonegraph/testing';

const listen = async (port: number) => {
  const server = createServer().listen(port, '127.0.0.1');
  await once(server, 'listening');
  await new Promise((resolve) => server.close(resolve));
};

test('free ports lie below the kernel ephemeral range, where no outgoing connection takes them, and are not handed out twice', async () => {
  const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'))
    .trim()
    .split(/\s+/)
    .map(Number);
  const ports = [];
  for (let i = 0; i < 50; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length);
  for (const port of ports) {
    assert.ok(port >= 10_000 && port < low!, `${port} below ${low}`);
    await listen(port);
  }
});

test('a port base has every offset free', async () => {
  const base = await freePortBase([0, 1, 2, 3, 10]);
  for (const offset of [0, 1, 2, 3, 10]) await listen(base + offset);
});
