import type { Service } from '../service.ts';
import { ferretdbService } from './ferretdb.ts';
import { neo4jService } from './neo4j.ts';
import { postgresService } from './postgres.ts';
import { rabbitmqService } from './rabbitmq.ts';
import { redisService } from './redis.ts';

/** Every server of the stack, in start order for display. */
export const services: readonly Service[] = [
  postgresService,
  redisService,
  rabbitmqService,
  ferretdbService,
  neo4jService,
];
