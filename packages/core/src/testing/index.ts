export { runStorageConformance } from './runStorageConformance';
export type { StorageConformanceOptions } from './runStorageConformance';
export * from './fixtures';
