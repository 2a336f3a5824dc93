import type { LicenseContactsError } from '../domain/errors';
import type { AddContactInput, License, Role } from '../domain/types';

/** A change the store has sent and not yet heard back about. */
export type PendingMutation =
  | { id: number; type: 'addContact'; licenseId: string; input: AddContactInput }
  | { id: number; type: 'setMain'; licenseId: string; role: Role; email: string }
  | { id: number; type: 'removeContact'; licenseId: string; email: string; role?: Role; successor?: string };

/** What happens to a mutation; the resource cache hears the answers too. */
export type MutationAction =
  | { type: 'mutationStarted'; mutation: PendingMutation }
  | { type: 'mutationSucceeded'; mutation: PendingMutation; license: License }
  | { type: 'mutationFailed'; mutation: PendingMutation; error: LicenseContactsError; conflict: boolean };

/** The mutations waiting for the server, oldest first. */
export type MutationQueue = readonly PendingMutation[];

/** The mutation queue's one reducer: a started mutation joins the queue, an answered one leaves it. */
export function mutationQueueReducer(queue: MutationQueue, action: { type: string }): MutationQueue {
  const a = action as MutationAction;
  switch (a.type) {
    case 'mutationStarted':
      return [...queue, a.mutation];
    case 'mutationSucceeded':
    case 'mutationFailed':
      return queue.some((m) => m.id === a.mutation.id) ? queue.filter((m) => m.id !== a.mutation.id) : queue;
    default:
      return queue;
  }
}
