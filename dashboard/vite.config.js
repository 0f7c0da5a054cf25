// Vite builds the dashboard (plain TypeScript, no framework) into dist/dashboard/, which the server serves at
// /dashboard/ (src/serve/plugins/dashboard.ts). Everything is bundled: no CDN, works offline.
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

export default {
  root: here,
  base: '/dashboard/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
};
