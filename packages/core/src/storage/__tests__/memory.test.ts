import { memoryStorage } from '@license-contacts/core';
import { runStorageConformance } from '@license-contacts/core/testing';

runStorageConformance({ name: 'memoryStorage', create: () => memoryStorage() });
