import '@license-contacts/react/styles.css';
import './preview.css';
import type { Preview } from '@storybook/react-vite';
import { kitDecorator, kitLoader } from '../stories/kit';

const preview: Preview = {
  loaders: [kitLoader],
  decorators: [kitDecorator],
  parameters: {
    layout: 'padded',
    // An axe violation fails the story as a test.
    a11y: { test: 'error' },
    controls: { expanded: true },
    docs: { codePanel: true },
  },
  globalTypes: {
    theme: {
      description: 'Light or dark custom properties of the stylesheet',
      toolbar: {
        title: 'Theme',
        icon: 'mirror',
        items: [
          { value: 'light', title: 'Light' },
          { value: 'dark', title: 'Dark' },
        ],
        dynamicTitle: true,
      },
    },
    locale: {
      description: 'Messages of the kit',
      toolbar: {
        title: 'Language',
        icon: 'globe',
        items: [
          { value: 'en', title: 'English' },
          { value: 'de', title: 'Deutsch' },
        ],
        dynamicTitle: true,
      },
    },
  },
  initialGlobals: { theme: 'light', locale: 'en' },
  tags: ['autodocs'],
};

export default preview;
