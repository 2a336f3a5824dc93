import type { LicenseStorage } from '@license-contacts/core';

/** The storage as it is, counting its reads of the change feed (`listChanges`) in `reads()`. */
export function countedReads(storage: LicenseStorage): { storage: LicenseStorage; reads: () => number } {
  let reads = 0;
  const counted = new Proxy(storage, {
    get(target, key, receiver) {
      if (key === 'listChanges') {
        return (...args: Parameters<LicenseStorage['listChanges']>) => {
          reads++;
          return target.listChanges(...args);
        };
      }
      return Reflect.get(target, key, receiver);
    },
  });
  return { storage: counted, reads: () => reads };
}
