// Preloaded with --import by test/e2e/startup.test.ts: records every module the CLI loads into
// the file named by TRACE_LOADS_FILE, one JSON line per event. ES modules are seen by a load
// hook (it runs on the hooks thread, hence the file); CommonJS files are read from the require
// cache when the process exits.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.TRACE_LOADS_FILE;
if (!file) throw new Error('TRACE_LOADS_FILE is not set');
register(new URL('./trace-loads-hooks.mjs', import.meta.url), { data: { file } });
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(file, `${JSON.stringify({ commonjs: Object.keys(require.cache) })}\n`));
