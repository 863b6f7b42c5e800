export { ConfigError, loadConfig, parseConfig } from './load.ts';
export type { ConfigIssue } from './load.ts';
export * as env from './fields.ts';
export { servicesSchema } from './services.ts';
export type { ServicesConfig } from './services.ts';
