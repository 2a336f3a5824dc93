export { applyChanges, diffContacts, positionsOf, replayEntries } from './domain/changes';
export type { ErrorCode, LicenseContactsErrorOptions } from './domain/errors';
export { ERROR_CODES, ERROR_STATUS, LicenseContactsError, validationError } from './domain/errors';
export { domainOf, findContact, holdsRole, isAssociated, mainOf } from './domain/license';
export type { DefaultPolicyOptions, Policy, PolicyContext } from './domain/policy';
export { createDefaultPolicy, defaultPolicy, deny, openPolicy, PUBLIC_MAIL_DOMAINS } from './domain/policy';
export type { StoredRequest } from './domain/requests';
export {
  canSeeRequest,
  DEFAULT_REQUEST_TTL,
  presentRequest,
  requestActions,
  stateAt,
  summarize,
} from './domain/requests';
export type { Applied, Command, EntryDetails, RuleOptions } from './domain/rules';
export {
  addContactDecision,
  applyAgreed,
  applyCommand,
  checkCommand,
  checkTransfer,
  createLicenseState,
  permissionsFor,
  previewCommand,
} from './domain/rules';
export type {
  Actor,
  AddContactInput,
  AddressStatus,
  AuditAction,
  AuditEntry,
  BounceReport,
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
  InvitationMode,
  License,
  LicenseContactsApi,
  ListLicensesOptions,
  Me,
  MutationOptions,
  NewAuditEntry,
  Page,
  PendingRequest,
  Permissions,
  Person,
  Recipients,
  RemoveContactOptions,
  ReplaceContactOptions,
  ReplacedLicense,
  ReplaceResult,
  RequestActions,
  RequestKind,
  RequestState,
  RequestSummary,
  RequestsOptions,
  Role,
  SkippedLicense,
  Topic,
  WatchOptions,
} from './domain/types';
export { AUDIT_ACTIONS, REQUEST_STATES, ROLES, TOPICS } from './domain/types';
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
  parseRequestId,
  parseRequestState,
  parseRole,
  parseRoles,
} from './domain/validate';
export type {
  FeedWorker,
  FeedWorkerOptions,
  FeedWorkerStatus,
  RetryOptions,
} from './service/createFeedWorker';
export { createFeedWorker } from './service/createFeedWorker';
export type {
  Clock,
  LicenseContacts,
  LicenseContactsOptions,
} from './service/createLicenseContacts';
export { createLicenseContacts } from './service/createLicenseContacts';
export type { LicenseContactsEvent } from './service/liveFeed';
export type { LegacyAuditEntry } from './storage/legacy';
export { upgradeEntry } from './storage/legacy';
export type { MemoryStorageOptions } from './storage/memory';
export { checkCommit, matchesQuery, matchesRequest, memoryStorage } from './storage/memory';
export { formatSeq, parseSeq } from './storage/seq';
export type {
  AddressWrite,
  FeedCursor,
  FeedCursorStore,
  IdempotencyClaim,
  IdempotencyKeyStore,
  KeptResponse,
  LicenseStorage,
  LicenseWrite,
  LockedWork,
  RequestWrite,
  StorageAuditQuery,
  StorageChangesQuery,
  StorageCommit,
  StorageGetOptions,
  StorageListQuery,
  StorageRequestQuery,
  StorageWatch,
  StorageWatchOptions,
  StoredAddress,
} from './storage/types';
export type {
  ContactsStore,
  ContactsStoreEvent,
  ContactsStoreInitialData,
  ContactsStoreOptions,
  ContactsStoreState,
  HistoryResource,
  ListResource,
  LiveStatus,
  ObserveOptions,
  PendingMutation,
  RemoteChange,
  Resource,
  ResourceStatus,
  StoreResource,
} from './store/createContactsStore';
export { createContactsStore } from './store/createContactsStore';
