#!/usr/bin/env node
'use strict';
// The only place that calls process.exit. CommonJS on purpose: a CommonJS start costs Node's
// own start-up time, while the first ES module file costs a loader of its own (~10 ms on the
// machines we measure), which `--help` and `--version` should not pay. The commands themselves
// are ES modules, imported only when one runs.
require('node:module').enableCompileCache?.();
const { main, whenStdoutFlushed } = require('../dist/main.cjs');
main(process.argv).then((code) => {
  process.exitCode = code;
  // Let stdout drain before exiting (piped output would otherwise be cut short).
  whenStdoutFlushed(() => process.exit(code));
});
