import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';

/** Status, headers and body text of one HTTP exchange. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A transport failure before any HTTP status: refused, unresolvable, TLS, timeout. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** TLS failures that a private CA (--keycloak-ca-file) fixes. */
export const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/**
 * Plain node:http(s) rather than fetch: a private CA is one `ca` option here, while fetch
 * would need an undici dispatcher from a separate package whose major must match Node's own.
 */
export class Transport {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent: https.Agent;

  constructor(
    /** PEM certificates trusted in addition to Node's built-in roots. */
    extraCa: string[] | undefined,
    private readonly timeoutMs: number,
  ) {
    this.httpsAgent = new https.Agent({ keepAlive: true, ...(extraCa?.length ? { ca: [...tls.rootCertificates, ...extraCa] } : {}) });
  }

  send(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<RawResponse> {
    const secure = url.protocol === 'https:';
    const mod = secure ? https : http;
    const payload = body === undefined ? undefined : Buffer.from(body, 'utf8');
    return new Promise<RawResponse>((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: secure ? this.httpsAgent : this.httpAgent,
          headers: { ...headers, ...(payload ? { 'content-length': String(payload.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => reject(toTransportError(err)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error(`no response within ${this.timeoutMs / 1000} s`), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(toTransportError(err)));
      req.end(payload);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function toTransportError(err: Error): TransportError {
  const code = (err as NodeJS.ErrnoException).code ?? 'ERROR';
  return new TransportError(err.message, code);
}

/** Splits a PEM bundle into its certificates; empty when the text holds none. */
export function pemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
