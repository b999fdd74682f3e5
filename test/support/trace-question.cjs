// Preloaded with --require by test/e2e/startup.test.ts, beside trace-loads.mjs: when the first
// line-editor prompt is on screen (the wizard's first question), appends one line to
// TRACE_LOADS_FILE with the files in the require cache at that moment. The ES module loads that
// trace-loads.mjs records before it happened come before it in the file: the load hook writes
// its line while the main thread waits for the module. Test support only, never part of the tool.
'use strict';
const { appendFileSync } = require('node:fs');
const readline = require('node:readline');
const file = process.env.TRACE_LOADS_FILE;
if (!file) throw new Error('TRACE_LOADS_FILE is not set');
const prompt = readline.Interface.prototype.prompt;
let seen = false;
/** @param {boolean} [preserveCursor] */
readline.Interface.prototype.prompt = function (preserveCursor) {
  const shown = prompt.call(this, preserveCursor);
  if (!seen) {
    seen = true;
    appendFileSync(file, `${JSON.stringify({ question: true, commonjs: Object.keys(require.cache) })}\n`);
  }
  return shown;
};
