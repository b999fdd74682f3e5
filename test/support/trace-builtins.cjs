// Preloaded with --require by test/e2e/startup.test.ts: writes the Node built-in modules the
// process loaded (process.moduleLoadList) to the file named by TRACE_BUILTINS_FILE at exit.
// Test support only, never part of the tool.
'use strict';
const { writeFileSync } = require('node:fs');
const file = process.env.TRACE_BUILTINS_FILE;
if (!file) throw new Error('TRACE_BUILTINS_FILE is not set');
// moduleLoadList is not in Node's typings.
const list = () => /** @type {{ moduleLoadList: string[] }} */ (/** @type {unknown} */ (process)).moduleLoadList;
process.on('exit', () => writeFileSync(file, list().join('\n')));
