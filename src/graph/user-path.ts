import { isGuid } from '../core/ids.js';

/**
 * The URL path of one user, by object id or user principal name.
 *
 * A UPN goes in the key form `/users('…')`: Learn "Get user" (user-get) documents that
 * `/users/$x@y.com` fails with 400 Bad Request because OData reserves a leading `$` for system
 * query options, and that `/users('$x@y.com')` works. Inside the key the value is an OData string
 * literal (a `'` is doubled), and URL characters are percent-encoded, `#` as `%23` as the same page
 * asks for guest (`#EXT#`) UPNs; `$` and `@` stay literal. Object ids keep the plain `/users/{id}`.
 */
export function userPath(idOrUpn: string): string {
  if (isGuid(idOrUpn)) return `/users/${idOrUpn}`;
  const literal = idOrUpn.replace(/'/g, "''");
  const encoded = encodeURIComponent(literal).replace(/%24/g, '$').replace(/%40/g, '@');
  return `/users('${encoded}')`;
}
