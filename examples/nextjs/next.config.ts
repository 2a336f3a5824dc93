import type { NextConfig } from 'next';

const config: NextConfig = {
  // PGlite loads its WebAssembly and data files next to its own modules: Node must load it, not the bundler.
  serverExternalPackages: ['@electric-sql/pglite'],
};

export default config;
