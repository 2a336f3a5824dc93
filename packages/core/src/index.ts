export { applyChanges, diffContacts, positionsOf, replayEntries } from './domain/changes';
export type { ErrorCode, LicenseContactsErrorOptions } from './domain/errors';
export { ERROR_CODES, ERROR_STATUS, LicenseContactsError, validationError } from './domain/errors';
export { domainOf, findContact, holdsRole, isAssociated, mainOf } from './domain/license';
export type { DefaultPolicyOptions, Policy, PolicyContext } from './domain/policy';
export { createDefaultPolicy, defaultPolicy, deny, openPolicy, PUBLIC_MAIL_DOMAINS } from './domain/policy';
export type { Applied, Command } from './domain/rules';
export {
  applyCommand,
  checkCommand,
  checkTransfer,
  createLicenseState,
  permissionsFor,
} from './domain/rules';
export type {
  Actor,
  AddContactInput,
  AuditAction,
  AuditEntry,
  CallOptions,
  ChangesOptions,
  Contact,
  ContactChange,
  ContactPosition,
  ContactsState,
  CreateLicenseInput,
  Decision,
  GetLicenseOptions,
  HistoryOptions,
  License,
  LicenseContactsApi,
  ListLicensesOptions,
  Me,
  MutationOptions,
  NewAuditEntry,
  Page,
  Permissions,
  Person,
  Recipients,
  RemoveContactOptions,
  ReplaceContactOptions,
  ReplacedLicense,
  ReplaceResult,
  Role,
  SkippedLicense,
  Topic,
} from './domain/types';
export { ROLES, TOPICS } from './domain/types';
export {
  MAX_EMAIL,
  MAX_NAME,
  parseAddContactInput,
  parseCreateLicenseInput,
  parseEmail,
  parseInstant,
  parseLicenseId,
  parseName,
  parsePerson,
  parseRole,
  parseRoles,
} from './domain/validate';
export type {
  Clock,
  LicenseContacts,
  LicenseContactsEvent,
  LicenseContactsOptions,
} from './service/createLicenseContacts';
export { createLicenseContacts } from './service/createLicenseContacts';
export type { LegacyAuditEntry } from './storage/legacy';
export { upgradeEntry } from './storage/legacy';
export type { MemoryStorageOptions } from './storage/memory';
export { matchesQuery, memoryStorage } from './storage/memory';
export { formatSeq, parseSeq } from './storage/seq';
export type {
  LicenseStorage,
  LicenseWrite,
  StorageAuditQuery,
  StorageChangesQuery,
  StorageCommit,
  StorageListQuery,
} from './storage/types';
export type {
  ContactsStore,
  ContactsStoreEvent,
  ContactsStoreInitialData,
  ContactsStoreOptions,
  ContactsStoreState,
  ListResource,
  PendingMutation,
  Resource,
  ResourceStatus,
} from './store/createContactsStore';
export { createContactsStore } from './store/createContactsStore';
