// Module hooks for trace-loads.mjs: one line per module that goes through the ES module loader.
import { appendFileSync } from 'node:fs';

let file = '';

/** @param {{ file: string }} data */
export function initialize(data) {
  file = data.file;
}

/** @type {import('node:module').LoadHook} */
export async function load(url, context, next) {
  const result = await next(url, context);
  appendFileSync(file, `${JSON.stringify({ url, format: result.format })}\n`);
  return result;
}
