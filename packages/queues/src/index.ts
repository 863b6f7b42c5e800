export * from './names.ts';
export * from './jobs.ts';
export * from './topology.ts';
export * from './errors.ts';
export * from './fate.ts';
export * from './publish.ts';
export * from './link.ts';
export * from './publishers.ts';
