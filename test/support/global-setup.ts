import { ensureTestTls } from './tls.js';

/** Runs before the workers start: a loopback certificate that every child process trusts. */
export default async function setup(): Promise<void> {
  const tls = await ensureTestTls();
  process.env.NODE_EXTRA_CA_CERTS = tls.caFile;
}
