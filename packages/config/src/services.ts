import { z } from 'zod';
import { url } from './fields.ts';

/**
 * The connection URLs that are the contract between Tonegraph's services and
 * whatever runs the databases: the local stack (`npm run stack -- env`),
 * docker-compose, or production servers.
 */
export const servicesSchema = z.object({
  DATABASE_URL: url(['postgres', 'postgresql']),
  MONGO_URL: url(['mongodb', 'mongodb+srv']),
  NEO4J_URL: url(['bolt', 'neo4j', 'bolt+s', 'neo4j+s', 'bolt+ssc', 'neo4j+ssc']),
  REDIS_URL: url(['redis', 'rediss']),
  AMQP_URL: url(['amqp', 'amqps']),
});

export type ServicesConfig = z.output<typeof servicesSchema>;
