export * from './fixtures';
export { expectUnbrokenHistory } from './history';
export {
  API_ACTORS,
  type ApiConformanceContext,
  type ApiConformanceOptions,
  runApiConformance,
} from './runApiConformance';
export type { StorageConformanceOptions } from './runStorageConformance';
export { runStorageConformance } from './runStorageConformance';
export type { ServiceModelOptions } from './serviceModel';
export { runServiceModelTests, serviceModelCommands } from './serviceModel';
