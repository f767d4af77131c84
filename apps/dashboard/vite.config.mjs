// The dashboard (docs/dashboard.md): `vite build --config apps/dashboard/vite.config.mjs` writes
// dist/dashboard, which the gateway serves at `/`; `vitest --config` runs its unit tests.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  // The build has no inline script (the gateway's CSP allows only same-origin scripts).
  build: {
    outDir: here('../../dist/dashboard'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 900,
    reportCompressedSize: true,
  },
  server: {
    // `npx vite --config apps/dashboard/vite.config.mjs`: a dev server that talks to a gateway on 8765.
    proxy: {
      '/socket.io': { target: 'http://127.0.0.1:8765', ws: true },
      '/dashboard/config.json': 'http://127.0.0.1:8765',
    },
  },
  test: {
    root: here('.'),
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
