export { createLifecycle } from './lifecycle.ts';
export type { Lifecycle, LifecycleOptions } from './lifecycle.ts';
