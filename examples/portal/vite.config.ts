import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The library's packages resolve to their sources, so the portal runs without building them first.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  resolve: { conditions: ['@license-contacts/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  logLevel: 'warn',
});
