export { LicenseContactsError, ERROR_STATUS, ERROR_CODES, validationError } from './domain/errors';
export type { ErrorCode, LicenseContactsErrorOptions } from './domain/errors';
export { ROLES, TOPICS } from './domain/types';
export type {
  Actor,
  AddContactInput,
  AuditAction,
  AuditEntry,
  CallOptions,
  Contact,
  ContactsState,
  CreateLicenseInput,
  Decision,
  HistoryOptions,
  License,
  LicenseContactsApi,
  ListLicensesOptions,
  Me,
  MutationOptions,
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
export { createDefaultPolicy, defaultPolicy, openPolicy, deny, PUBLIC_MAIL_DOMAINS } from './domain/policy';
export type { Policy, PolicyContext, DefaultPolicyOptions } from './domain/policy';
export { applyCommand, checkCommand, createLicenseState, permissionsFor } from './domain/rules';
export type { Applied, Command } from './domain/rules';
export {
  parseEmail,
  parseName,
  parseRole,
  parseRoles,
  parseLicenseId,
  parsePerson,
  parseAddContactInput,
  parseCreateLicenseInput,
  MAX_EMAIL,
  MAX_NAME,
} from './domain/validate';
export { findContact, isAssociated, holdsRole, mainOf, domainOf } from './domain/license';
export { createLicenseContacts } from './service/createLicenseContacts';
export type { LicenseContacts, LicenseContactsEvent, LicenseContactsOptions } from './service/createLicenseContacts';
export { memoryStorage, matchesQuery } from './storage/memory';
export type { MemoryStorageOptions } from './storage/memory';
export type {
  LicenseStorage,
  LicenseWrite,
  StorageAuditQuery,
  StorageCommit,
  StorageListQuery,
} from './storage/types';
export { createContactsStore } from './store/createContactsStore';
export type { ContactsStore, ContactsStoreEvent, ContactsStoreInitialData, ContactsStoreOptions, ContactsStoreState, ListResource, PendingMutation, Resource, ResourceStatus } from './store/createContactsStore';
