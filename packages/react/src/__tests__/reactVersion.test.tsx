import * as Dialog from '@radix-ui/react-dialog';
import { render, screen } from '@testing-library/react';
import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { describe, expect, inject, it } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The React major version a project's tests run against. */
    reactMajor: string;
  }
}

// Run by both the `unit` project (React 19) and the `react18` project (React 18, from tests/react18).
describe('the React the kit renders with', () => {
  it('is one copy shared by React DOM, Radix and Testing Library', async () => {
    expect(domVersion).toBe(version);
    render(
      <Dialog.Root defaultOpen>
        <Dialog.Content aria-describedby={undefined}>
          <Dialog.Title>Hello</Dialog.Title>
        </Dialog.Content>
      </Dialog.Root>,
    );
    expect(await screen.findByRole('dialog', { name: 'Hello' })).toBeInTheDocument();
    expect(['18', '19']).toContain(version.split('.')[0]);
  });

  it('is the React major version this project tests', () => {
    expect(version.split('.')[0]).toBe(inject('reactMajor'));
  });
});
