import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('./src/web/', import.meta.url));
const outDir = fileURLToPath(new URL('./dist/web/', import.meta.url));

// The web UI served by `slipway serve` at `/`. Everything is bundled into files under dist/web/assets: the server's
// CSP (script-src 'self'; style-src 'self', no 'unsafe-inline') forbids inline scripts and styles.
export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be bundled (not inline), but every supported browser has modulepreload; keep the entry lean.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs into CSS/JS; keep them as files the CSP's 'self' covers.
    assetsInlineLimit: 0,
    sourcemap: true,
    reportCompressedSize: false,
  },
});
