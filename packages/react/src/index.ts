export type { ActionButtonProps } from './components/ActionButton';
export { ActionButton } from './components/ActionButton';
export type { AddContactDialogProps } from './components/AddContactDialog';
export { AddContactDialog } from './components/AddContactDialog';
export type { ContactListProps, ContactRowProps } from './components/ContactList';
export { ContactList, ContactRow } from './components/ContactList';
export type { DialogTriggerProps } from './components/DialogTrigger';
export { DialogTrigger } from './components/DialogTrigger';
export type { LicenseHistoryProps } from './components/LicenseHistory';
export { historySentence, LicenseHistory } from './components/LicenseHistory';
export type { LicenseListProps } from './components/LicenseList';
export { LicenseList } from './components/LicenseList';
export type {
  HeadingLevel,
  LicenseDetailsProps,
  LicensePanelProps,
  RoleSectionProps,
} from './components/LicensePanel';
export { LicenseDetails, LicensePanel, RoleSection } from './components/LicensePanel';
export type { RemoveContactDialogProps } from './components/RemoveContactDialog';
export { RemoveContactDialog } from './components/RemoveContactDialog';
export type { ReplaceContactDialogProps } from './components/ReplaceContactDialog';
export { ReplaceContactDialog } from './components/ReplaceContactDialog';
export type { RequestListProps } from './components/RequestList';
export { RequestList } from './components/RequestList';
export type { LicenseContactsContextValue } from './context';
export { LicenseContactsContext } from './context';
export type {
  HistoryFacts,
  HistoryPerson,
  MainFact,
  RoleFact,
} from './historyFacts';
export { historyFacts } from './historyFacts';
export { useAnnounce } from './hooks/useAnnounce';
export type { ContactActions } from './hooks/useContactActions';
export { useContactActions } from './hooks/useContactActions';
export { useLicense } from './hooks/useLicense';
export { useLicenseContacts } from './hooks/useLicenseContacts';
export type { UseLicenseHistoryResult } from './hooks/useLicenseHistory';
export { useLicenseHistory } from './hooks/useLicenseHistory';
export type { UseLicensesOptions, UseLicensesResult } from './hooks/useLicenses';
export { useLicenses } from './hooks/useLicenses';
export { useMe } from './hooks/useMe';
export { useMessages } from './hooks/useMessages';
export { usePermissions } from './hooks/usePermissions';
export { useReplaceContact } from './hooks/useReplaceContact';
export type { RequestActionsApi } from './hooks/useRequestActions';
export { useRequestActions } from './hooks/useRequestActions';
export { useRequests } from './hooks/useRequests';
export { useStoreState } from './hooks/useStoreState';
export type { LicenseContactsProviderProps } from './LicenseContactsProvider';
export { LicenseContactsProvider } from './LicenseContactsProvider';
export type { HistorySentence, Messages } from './messages';
export { de, en, locales, resolveMessages } from './messages';
export { visuallyHidden } from './visuallyHidden';
