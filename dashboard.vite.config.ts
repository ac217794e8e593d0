import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** `npm run build:dashboard`: `dashboard/` (Preact + uPlot) → `dist/dashboard`, served by the server at `/`. */
export default defineConfig({
  root: fileURLToPath(new URL('./dashboard', import.meta.url)),
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('./dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The server sends a Content-Security-Policy without 'unsafe-inline' scripts: no inlined modulepreload polyfill.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  logLevel: 'warn',
});
