/**
 * Runs `fn` over `items` with at most `limit` calls in flight, taking the next item only while
 * no call has failed: after a failure nothing more is started, the calls already in flight
 * finish, and the first failure is thrown once they have. `stopped` tells a call in flight that
 * another has failed (e.g. so that it does not retry).
 */
export async function forEachBounded<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, stopped: () => boolean) => Promise<void>,
): Promise<void> {
  // A bound that is not a positive number (a test double without one) means one at a time.
  const workers = Math.min(Number.isFinite(limit) && limit >= 1 ? Math.floor(limit) : 1, items.length);
  let next = 0;
  let failure: { err: unknown } | undefined;
  const stopped = () => failure !== undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i], i, stopped);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure.err;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight; the results keep the items'
 * order. A failure stops it as forEachBounded does.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachBounded(items, limit, async (item, i) => {
    out[i] = await fn(item, i);
  });
  return out;
}
