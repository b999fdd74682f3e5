/**
 * `run` and `audit` (with several targets too) as one CommonJS bundle, `dist/run.cjs`, which
 * `dist/main.cjs` requires when one of them runs (tsup.config.ts). Kept out of main.cjs, whose
 * every byte `--help` and `--version` read; kept out of the ES module build, whose loader and
 * chunks would come before the wizard's first question.
 */
export { runCommand } from './run.js';
export { targetsCommand } from './targets.js';
