import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { config } from '../config.ts';
import { readPid, which } from '../fs-util.ts';
import { run, terminate } from '../proc.ts';
import type { Service } from '../service.ts';

const dir = path.join(config.STACK_DIR, 'redis');
const pidFile = path.join(dir, 'redis.pid');
const port = config.STACK_REDIS_PORT;

export const redisService: Service = {
  name: 'redis',
  urlVar: 'REDIS_URL',
  url: `redis://127.0.0.1:${port}`,
  logFile: path.join(dir, 'redis.log'),
  async missingPackages() {
    return (await which('redis-server')) ? [] : ['redis-server'];
  },
  async build() {},
  async start() {
    await mkdir(dir, { recursive: true });
    // Redis carries pub/sub and caches only: nothing to persist.
    await run('redis-server', [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--daemonize',
      'yes',
      '--pidfile',
      pidFile,
      '--logfile',
      this.logFile,
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
  },
  pid: () => readPid(pidFile),
  async ping(url) {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      const info = await redis.info('server');
      return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
    } finally {
      redis.disconnect();
    }
  },
  async stop() {
    await terminate(await readPid(pidFile));
  },
};
