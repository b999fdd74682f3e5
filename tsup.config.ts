import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// One ESM entry plus split chunks: the start-up path (bin -> main -> cli) stays small and
// every heavy SDK is reached only through dynamic import() from the command that needs it.
export default defineConfig({
  entry: { main: 'src/main.ts', sim: 'src/sim/index.ts' },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  clean: true,
  sourcemap: false,
  dts: false,
  outDir: 'dist',
  define: { __VERSION__: JSON.stringify(version) },
  // Runtime dependencies stay external: npm installs them, and bundling them would defeat lazy loading.
  external: [/^[^./]/],
});
