import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import amqp from 'amqplib';
import { config } from '../config.ts';
import { exists, readPid } from '../fs-util.ts';
import { run, spawnDetached, terminate } from '../proc.ts';
import type { Service } from '../service.ts';

const dir = path.join(config.STACK_DIR, 'rabbitmq');
const pidFile = path.join(dir, 'rabbitmq.pid');
const server = '/usr/lib/rabbitmq/bin/rabbitmq-server';
const port = config.STACK_RABBITMQ_PORT;

/**
 * A private node: its own name, cookie (HOME), data, ports and epmd, so it
 * never meets a system RabbitMQ on the same machine.
 */
function nodeEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: 'tonegraph@localhost',
    RABBITMQ_BASE: dir,
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
    RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: pidFile,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(config.STACK_RABBITMQ_DIST_PORT),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_PORT: String(config.STACK_EPMD_PORT),
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
}

export const rabbitmqService: Service = {
  name: 'rabbitmq',
  urlVar: 'AMQP_URL',
  url: `amqp://guest:guest@127.0.0.1:${port}`,
  logFile: path.join(dir, 'rabbitmq.log'),
  async missingPackages() {
    return (await exists(server)) ? [] : ['rabbitmq-server'];
  },
  async build() {},
  async start() {
    await mkdir(path.join(dir, 'log'), { recursive: true });
    await writeFile(path.join(dir, 'rabbitmq.conf'), `listeners.tcp.1 = 127.0.0.1:${port}\n`);
    await writeFile(path.join(dir, 'enabled_plugins'), '[].\n');
    await spawnDetached(server, [], this.logFile, { env: nodeEnv(), cwd: dir });
  },
  pid: () => readPid(pidFile),
  async ping(url) {
    const conn = await amqp.connect(url, { timeout: 2000 });
    try {
      const props = conn.connection.serverProperties;
      return `RabbitMQ ${String(props.version ?? '?')}`;
    } finally {
      await conn.close();
    }
  },
  async stop() {
    await terminate(await readPid(pidFile), 30_000);
    // The Erlang port mapper outlives the node; stop ours (others are untouched).
    await run('epmd', ['-port', String(config.STACK_EPMD_PORT), '-kill'], { env: nodeEnv() }).catch(() => '');
  },
};
