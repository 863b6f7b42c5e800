export { isolation, runTag } from './isolation.ts';
export type { Isolation } from './isolation.ts';
export { createTestDatabase } from './postgres.ts';
export type { TestDatabase } from './postgres.ts';
export { testServices } from './services.ts';
export { freePort, freePortBase } from './ports.ts';
export { eventually, EventuallyTimeoutError } from './eventually.ts';
export type { EventuallyOptions } from './eventually.ts';
