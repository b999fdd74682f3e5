import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

const common: Options = {
  target: 'node20',
  platform: 'node',
  clean: false,
  sourcemap: false,
  dts: false,
  outDir: 'dist',
  define: { __VERSION__: JSON.stringify(version) },
};

/**
 * What src/cli.ts imports on demand; each is an ES module entry with a stable name in dist/.
 * `commands/run` (run and audit) is not among them: it stays inside dist/main.cjs (its import()
 * is evaluated on demand there), so that on a terminal the wizard's first question is on screen
 * before the first ES module is loaded (the loader and the 18 files it read cost 10 to 15 ms of
 * CPU before the question); the packages it needs after the question are still import()ed then.
 */
const LAZY = ['config', 'commands/completion', 'commands/restore', 'commands/demo', 'commands/verify-user', 'commands/activate'];

// Two builds into one dist/ (package.json's build script empties it first, since the two run
// side by side and neither may clean what the other wrote):
// - dist/main.cjs, the start-up path (main, cli and commander in one CommonJS file): `--help`
//   and `--version` never load an ES module, which costs a loader of its own, and neither does
//   `run` up to the wizard's first question;
// - ES modules with code splitting for everything a command does, reached only through the
//   dynamic import() of an action, so no heavy SDK loads before a command needs it.
export default defineConfig([
  {
    ...common,
    entry: { main: 'src/main.ts' },
    format: ['cjs'],
    splitting: false,
    // Less to read and deserialise at each start (about half the size); names are kept, so an
    // error's stack under --debug still names its functions.
    minifyWhitespace: true,
    minifySyntax: true,
    // commander is bundled: requiring it from node_modules costs a resolution and six files.
    // chalk too: it paints the wizard's first question, and as a package it is an ES module.
    noExternal: ['commander', 'chalk'],
    external: [/^(?!commander|chalk(\/|$))[^./#]/],
    esbuildPlugins: [
      {
        name: 'lazy-commands',
        setup(build) {
          // The actions' import() calls stay import() of the ES module entries below.
          const lazy = new Set(LAZY.map((p) => `./${p}.js`));
          build.onResolve({ filter: /^\.\// }, (args) =>
            args.kind === 'dynamic-import' && lazy.has(args.path) ? { path: args.path, external: true } : undefined,
          );
        },
      },
      {
        name: 'lazy-child-process',
        setup(build) {
          // commander requires node:child_process when it loads, for executable subcommands this
          // tool has none of; loading it (with dgram and net) costs `--help` a few per cent of
          // Node's start-up. In commander's source the require becomes a stand-in that requires
          // it on first use.
          build.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
            const source = readFileSync(args.path, 'utf8');
            const eager = "const childProcess = require('node:child_process');";
            if (!source.includes(eager)) throw new Error(`lazy-child-process: commander no longer has "${eager}"`);
            const lazy = "const childProcess = new Proxy({}, { get: (_, key) => require('node:child_process')[key] });";
            return { contents: source.replace(eager, lazy), loader: 'js' };
          });
        },
      },
    ],
  },
  {
    ...common,
    entry: { sim: 'src/sim/index.ts', ...Object.fromEntries(LAZY.map((p) => [p, `src/${p}.ts`])) },
    format: ['esm'],
    splitting: true,
    // Runtime dependencies stay external (npm installs them; bundled, the SDKs would load with
    // the chunk that first needs them), except chalk: small, and as a package it costs a
    // resolution through its import map and four module files.
    noExternal: ['chalk'],
    external: [/^(?!chalk(\/|$))[^./#]/],
  },
]);
