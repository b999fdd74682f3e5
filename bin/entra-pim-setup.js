#!/usr/bin/env node
// The only place that calls process.exit. Node's compile cache (22.1+, 20.19+ where present)
// makes the second start faster.
import module from 'node:module';
module.enableCompileCache?.();
const { main } = await import('../dist/main.js');
const code = await main(process.argv);
process.exitCode = code;
// Let stdout drain before exiting (piped output would otherwise be cut short).
process.stdout.write('', () => process.exit(code));
