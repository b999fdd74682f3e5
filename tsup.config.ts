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
 * `run` and `audit` are not among them (see RUN_COMMANDS).
 */
const LAZY = ['config', 'commands/completion', 'commands/restore', 'commands/demo', 'commands/verify-user', 'commands/activate'];

/**
 * `run` and `audit` (src/commands/run.ts, targets.ts) come from one CommonJS bundle, dist/run.cjs,
 * that main.cjs requires when they run: on a terminal the wizard's first question is then on
 * screen before any ES module is loaded (the ES module loader and the 18 files it read cost 10 to
 * 15 ms of CPU before the question), and `--help` does not read their code (bundled into main.cjs
 * it grew from 85 KB to 430 KB). The packages needed after the question are still import()ed then.
 */
const RUN_COMMANDS = new Set(['./commands/run.js', './commands/targets.js']);

// Three builds into one dist/ (package.json's build script empties it first, since they run
// side by side and none may clean what another wrote):
// - dist/main.cjs, the start-up path (main, cli and commander in one CommonJS file): `--help`
//   and `--version` never load an ES module, which costs a loader of its own;
// - dist/run.cjs, `run` and `audit` (RUN_COMMANDS), required by main.cjs when they run;
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
    noExternal: ['commander'],
    external: [/^(?!commander)[^./#]/],
    esbuildPlugins: [
      {
        name: 'run-commands',
        setup(build) {
          // import('./commands/run.js') becomes require('./run.cjs'), evaluated when the action runs.
          build.onResolve({ filter: /^\.\/commands\/(run|targets)\.js$/ }, (args) =>
            args.kind === 'dynamic-import' && RUN_COMMANDS.has(args.path) ? { path: 'run.cjs', namespace: 'run-commands' } : undefined,
          );
          build.onLoad({ filter: /.*/, namespace: 'run-commands' }, () => ({
            contents: "module.exports = require('./run.cjs');",
            loader: 'js',
          }));
          build.onResolve({ filter: /^\.\/run\.cjs$/ }, (args) => ({ path: args.path, external: true }));
        },
      },
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
    entry: { run: 'src/commands/run-bundle.ts' },
    format: ['cjs'],
    splitting: false,
    minifyWhitespace: true,
    minifySyntax: true,
    // chalk is bundled: it paints the wizard's first question, and as a package it is an ES module.
    noExternal: ['chalk'],
    external: [/^(?!chalk(\/|$))[^./#]/],
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
