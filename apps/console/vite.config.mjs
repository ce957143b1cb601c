// The web console: React 19 compiled by Vite's own transformer (automatic JSX runtime), served by
// the gateway at /console from dist/console.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  // Values come from single files of the contracts (the index would bring Node-only code along);
  // everything else imported from the index is a type and vanishes.
  resolve: {
    alias: [
      {
        find: '@gatehouse/contracts/webhook-events',
        replacement: here('../../libs/contracts/src/webhooks/webhook-events.ts'),
      },
      { find: '@gatehouse/contracts/risk-level', replacement: here('../../libs/contracts/src/gates/risk-level.ts') },
      { find: '@gatehouse/contracts/recipes', replacement: here('../../libs/contracts/src/policy/recipes.ts') },
      { find: '@gatehouse/contracts', replacement: here('../../libs/contracts/src/index.ts') },
    ],
  },
  build: { outDir: here('../../dist/console'), emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1000 },
  logLevel: 'warn',
});
