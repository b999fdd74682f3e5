#!/usr/bin/env node
'use strict';
// The only place that calls process.exit. CommonJS on purpose: a CommonJS start costs Node's
// own start-up time, while the first ES module file costs a loader of its own (~10 ms on the
// machines we measure), which `--help` and `--version` should not pay. The commands themselves
// are ES modules, imported only when one runs.
require('node:module').enableCompileCache?.();
// The build of src/main.ts (typed from its source; the specifier is a constant so that the
// type-check reads the source, not the bundle).
const MAIN = '../dist/main.cjs';
/** @type {typeof import('../src/main.js')} */
const { main, whenStdoutFlushed } = require(MAIN);
// main turns a command's failure into an exit code; a rejection it lets through (a part of the
// build that fails to load) stays unhandled, which Node reports and exits on.
void main(process.argv).then((code) => {
  process.exitCode = code;
  // Let stdout drain before exiting (piped output would otherwise be cut short).
  whenStdoutFlushed(() => process.exit(code));
});
