/** Whether a host name is this machine's loopback: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  // URL normalises IPv4 forms (127.1, 0x7f.0.0.1) to dotted quads, so the first octet decides.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
