// Preloaded with --import by tests that move time (test/e2e/lockout.test.ts): shifts the CLI's
// clock by TEST_CLOCK_OFFSET_MS, so the child process sees the same "now" as the simulated
// tenant's clock (sim.clock) after a test advanced it. Test support only, never part of the tool.
const offset = Number(process.env.TEST_CLOCK_OFFSET_MS ?? '0');
if (!Number.isFinite(offset)) throw new Error('TEST_CLOCK_OFFSET_MS is not a number');
const RealDate = Date;
/** @param {unknown[]} args every form of `new Date(…)` (the cast below only names one for the type-check) */
function ShiftedDate(...args) {
  if (!new.target) return new RealDate(RealDate.now() + offset).toString();
  return args.length === 0 ? new RealDate(RealDate.now() + offset) : new RealDate(.../** @type {[number]} */ (args));
}
ShiftedDate.prototype = RealDate.prototype;
ShiftedDate.now = () => RealDate.now() + offset;
ShiftedDate.parse = RealDate.parse;
ShiftedDate.UTC = RealDate.UTC;
globalThis.Date = /** @type {DateConstructor} */ (/** @type {unknown} */ (ShiftedDate));
