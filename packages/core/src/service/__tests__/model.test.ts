import { memoryStorage } from '@license-contacts/core';
import { runServiceModelTests } from '@license-contacts/core/testing';

runServiceModelTests({ name: 'memoryStorage', create: () => memoryStorage() });
