export { runStorageConformance } from './runStorageConformance';
export type { StorageConformanceOptions } from './runStorageConformance';
export * from './fixtures';
export { runServiceModelTests, serviceModelCommands } from './serviceModel';
export type { ServiceModelOptions } from './serviceModel';
export { runApiConformance, API_ACTORS, type ApiConformanceContext, type ApiConformanceOptions } from './runApiConformance';
