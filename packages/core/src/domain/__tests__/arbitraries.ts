import type { Actor, Command, Role } from '@license-contacts/core';
import fc from 'fast-check';

const role = fc.constantFrom<Role>('technical', 'billing');

/** Every command, about `people` and one newcomer. */
export function commandOver(people: readonly string[]): fc.Arbitrary<Command> {
  const email = fc.constantFrom(...people, 'new@acme.test');
  return fc.oneof(
    fc.tuple(email, fc.subarray<Role>(['technical', 'billing'], { minLength: 1 })).map(([e, roles]) => ({
      type: 'addContact' as const,
      input: { email: e, name: 'Someone', roles },
    })),
    fc.tuple(role, email).map(([r, e]) => ({ type: 'setMain' as const, role: r, email: e })),
    fc
      .tuple(email, fc.option(role, { nil: undefined }), fc.option(email, { nil: undefined }))
      .map(([e, r, s]) => ({
        type: 'removeContact' as const,
        email: e,
        ...(r ? { role: r } : {}),
        ...(s ? { successor: s } : {}),
      })),
    fc
      .tuple(email, email)
      .map(([e, s]) => ({ type: 'replaceContact' as const, email: e, successor: { email: s, name: 'S' } })),
  );
}

/** One of `people`, or a member of staff. */
export function actorOver(people: readonly string[]): fc.Arbitrary<Actor> {
  return fc.constantFrom<Actor>(...people.map((e) => ({ email: e })), {
    email: 'ops@vendor.test',
    staff: true,
  });
}
