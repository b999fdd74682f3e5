import { SignInError, UsageError } from '../errors.js';
import { isGuid } from '../core/ids.js';
import type { Logger } from '../ui/log.js';

/** A DNS name of at least two labels (a verified domain such as contoso.onmicrosoft.com). */
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;

/** Authority aliases that name no one tenant (Learn "OpenID Connect on the Microsoft identity platform"). */
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

const ALLOWED =
  'give the directory (tenant) id, a GUID such as 8f2d6a3c-1b4e-4c5d-9e7f-0a1b2c3d4e5f, or a verified domain of the tenant such as contoso.onmicrosoft.com';

/** The one-line problem with a --tenant-id value, or undefined when it is a GUID or a domain name. Pure. */
export function tenantInputProblem(value: string, flag = '--tenant-id'): string | undefined {
  if (isGuid(value) || DOMAIN.test(value)) return undefined;
  if (MULTI_TENANT.has(value.toLowerCase())) return `${flag} ${value}: names no single tenant; ${ALLOWED}`;
  return `${flag} ${value}: not a tenant id or domain; ${ALLOWED}`;
}

/** The tenant GUID in the path of an issuer or token endpoint URL of the discovery document. */
function tenantOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  try {
    const first = new URL(url).pathname.split('/').filter(Boolean)[0] ?? '';
    return isGuid(first) ? first.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Resolves --tenant-id to the tenant's GUID. A GUID is returned as given; a domain
 * is looked up in the cloud's OpenID discovery document, `{authority}/{domain}/v2.0/.well-known/openid-configuration`,
 * whose `issuer` (and `token_endpoint`) carry the tenant id (Learn "OpenID Connect on the Microsoft
 * identity platform": the `{tenant}` segment takes a tenant id or a domain name). An unknown
 * domain is AADSTS90002 (Learn "reference-error-codes", InvalidTenantName).
 */
export async function resolveTenantId(
  value: string,
  opts: { authorityHost: string; cloud: string; log: Logger; timeoutMs?: number; flag?: string },
): Promise<string> {
  const flag = opts.flag ?? '--tenant-id';
  const problem = tenantInputProblem(value, flag);
  if (problem) throw new UsageError(problem);
  if (isGuid(value)) return value;
  const url = `${opts.authorityHost.replace(/\/$/, '')}/${encodeURIComponent(value.toLowerCase())}/v2.0/.well-known/openid-configuration`;
  const host = new URL(url).host;
  const started = performance.now();
  let res: Response;
  try {
    // redirect 'manual': a discovery document is read from the authority itself, never from
    // wherever a redirect points.
    res = await fetch(url, {
      headers: { Accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError' ? 'no answer' : (e.cause?.code ?? e.cause?.message ?? (err instanceof Error ? err.message : String(err)));
    opts.log.http('GET', url, why, Math.round(performance.now() - started));
    throw new SignInError(
      `${flag} ${value}: cannot reach ${host} to look up the domain's tenant id (${why}); give the tenant id (a GUID) instead, or check the network`,
    );
  }
  opts.log.http('GET', url, res.status, Math.round(performance.now() - started));
  const body = (await res.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (res.status === 200 && body) {
    // Both name the tenant (Learn "OpenID Connect on the Microsoft identity platform"): a document
    // whose issuer has no tenant id, or whose token endpoint names another tenant, is not understood.
    const id = tenantOf(body.issuer);
    if (id && id === tenantOf(body.token_endpoint)) {
      opts.log.verbose(`${flag} ${value}: tenant ${id}`);
      return id;
    }
  }
  const codes = Array.isArray(body?.error_codes) ? (body!.error_codes as unknown[]) : [];
  if (codes.includes(90002) || body?.error === 'invalid_tenant') {
    throw new UsageError(`${flag} ${value}: no tenant has that domain in the ${opts.cloud} cloud (AADSTS90002); ${ALLOWED}`);
  }
  throw new SignInError(
    `${flag} ${value}: ${host} answered the tenant lookup with HTTP ${res.status} and no tenant id; give the tenant id (a GUID) instead`,
  );
}
