/**
 * Residual access: who holds the target now, whether PIM governs them (a link to the Entra
 * provider, an active assignment) and whether they can sign in without Entra (local credentials).
 */
import { finding, type Finding } from '../core/findings.js';
import { GUID } from '../core/ids.js';
import { isMemberAccess } from '../graph/enums.js';
import { SAML_OBJECT_ID_ATTRIBUTE, type Protocol } from './protocol.js';
import type { FederatedIdentity, IdpMapper, KcCredential, KcUser, KeycloakConfig } from './types.js';

/** A holder of the target group or role, with their identity-provider links. */
export interface Holder {
  user: KcUser;
  links: FederatedIdentity[];
  /** Credentials stored in Keycloak; undefined when not read. */
  credentials?: KcCredential[];
  /** Credential types the user's storage provider (LDAP, Kerberos) checks; undefined when not read or not federated. */
  storageCredentialTypes?: string[];
}

/** What residualFindings needs besides the holders. */
export interface ResidualInput {
  alias: string;
  protocol: Protocol | undefined;
  idpConfig: KeycloakConfig;
  /** The provider's mappers (to find an attribute importer for the object id). */
  mappers: IdpMapper[];
  /** Object ids with an active PIM assignment for the group now; undefined when unknown. */
  active: Set<string> | undefined;
  /** Eligible users by lower-cased UPN, to recognise a link by its user name. */
  eligibleByUpn: Map<string, string>;
  target: string;
  /**
   * Other providers that are Entra providers of this tenant (a second one, OIDC beside SAML): a
   * holder's link to one of them is no way around PIM. Every other link is; unknown means none.
   */
  trustedAliases?: ReadonlySet<string>;
}

/** User attributes that an attribute-importer mapper on the provider fills with the Entra object id. */
export function objectIdAttributes(mappers: IdpMapper[]): string[] {
  const out: string[] = [];
  for (const m of mappers) {
    const c = m.config ?? {};
    const attr = c['user.attribute'];
    if (!attr) continue;
    if (m.identityProviderMapper === 'oidc-user-attribute-idp-mapper' && c.claim === 'oid') out.push(attr);
    if (
      m.identityProviderMapper === 'saml-user-attribute-idp-mapper' &&
      (c['attribute.name'] === SAML_OBJECT_ID_ATTRIBUTE || c['attribute.friendly.name'] === 'objectidentifier')
    )
      out.push(attr);
  }
  return out;
}

/**
 * The Entra object id of a linked user, or undefined when it cannot be known.
 *
 * The link's `userId` is the upstream subject: for OIDC that is Entra's `sub`, a pairwise id
 * (per app, not a GUID) that never equals the object id (`oid`) PIM reports. So, in order:
 *  1. a user attribute filled from the `oid` claim (SAML: objectidentifier) by an attribute importer;
 *  2. the link's userId, when a SAML provider takes the subject from the objectidentifier attribute;
 *  3. the link's userId, when it is a GUID: Entra's pairwise `sub` never is, so the provider (or a
 *     broker in front of it) uses the object id as the subject;
 *  4. the eligible user whose UPN equals the link's user name (Entra's preferred_username).
 */
export function entraObjectId(
  user: KcUser,
  link: FederatedIdentity,
  input: Pick<ResidualInput, 'protocol' | 'idpConfig' | 'mappers' | 'eligibleByUpn'>,
): { id?: string; how?: string } {
  for (const attr of objectIdAttributes(input.mappers)) {
    const v = user.attributes?.[attr]?.[0];
    if (v && GUID.test(v)) return { id: v.toLowerCase(), how: `user attribute ${attr}` };
  }
  const c = input.idpConfig;
  if (
    input.protocol === 'saml' &&
    (c.principalType === 'ATTRIBUTE' || c.principalType === 'FRIENDLY_ATTRIBUTE') &&
    [SAML_OBJECT_ID_ATTRIBUTE, 'objectidentifier'].includes(c.principalAttribute ?? '')
  ) {
    return { id: link.userId.toLowerCase(), how: 'SAML subject is the objectidentifier attribute' };
  }
  if (GUID.test(link.userId)) return { id: link.userId.toLowerCase(), how: 'the link user id is an object id' };
  const byUpn = link.userName ? input.eligibleByUpn.get(link.userName.toLowerCase()) : undefined;
  if (byUpn) return { id: byUpn.toLowerCase(), how: 'the link user name is an eligible user' };
  return {};
}

/** Whether a link is to the chosen Entra provider or to a trusted second one (PIM governs both). */
const entraLink = (l: FederatedIdentity, input: Pick<ResidualInput, 'alias' | 'trustedAliases'>) =>
  l.identityProvider === input.alias || Boolean(input.trustedAliases?.has(l.identityProvider));

const listNames = (hs: Holder[]) => {
  const names = hs.map((h) => (h.user.viaGroup ? `${h.user.username} (via ${h.user.viaGroup})` : h.user.username));
  return names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ');
};

/**
 * Who holds the target now. Local accounts and accounts linked only to other providers hold
 * admin rights that PIM never grants or takes away; linked accounts without an active PIM
 * assignment keep them until their next Entra login.
 */
export function residualFindings(holders: Holder[], input: ResidualInput): Finding[] {
  const out: Finding[] = [];
  const enabled = holders.filter((h) => h.user.enabled !== false);
  const local: Holder[] = [];
  const otherIdp: Holder[] = [];
  const inactive: Holder[] = [];
  const unknown: Holder[] = [];
  const activeOk: Holder[] = [];
  for (const h of enabled) {
    const link =
      h.links.find((l) => l.identityProvider === input.alias) ?? h.links.find((l) => input.trustedAliases?.has(l.identityProvider));
    if (!link) {
      (h.links.length ? otherIdp : local).push(h);
      continue;
    }
    const { id } = entraObjectId(h.user, link, input);
    if (!id) unknown.push(h);
    else if (!input.active) continue;
    else if (input.active.has(id)) activeOk.push(h);
    else inactive.push(h);
  }
  if (local.length) {
    out.push(
      finding(
        'error',
        'KC_MEMBER_LOCAL',
        `${local.length} holder(s) of ${input.target} are local Keycloak accounts not linked to ${input.alias}, so they have ` +
          `admin rights without PIM: ${listNames(local)}`,
        `remove them from ${input.target} (keep a break-glass account only if it is documented and monitored)`,
      ),
    );
  }
  // A holder linked to Entra and also to another provider can sign in through that one: Entra's
  // FORCE mapper never runs then, and the admin rights stay after the activation ends.
  const alsoOther = enabled.filter((h) => h.links.some((l) => entraLink(l, input)) && h.links.some((l) => !entraLink(l, input)));
  if (alsoOther.length) {
    const others = [
      ...new Set(
        alsoOther.flatMap((h) => h.links.map((l) => l.identityProvider).filter((a) => a !== input.alias && !input.trustedAliases?.has(a))),
      ),
    ];
    out.push(
      finding(
        'error',
        'KC_MEMBER_ALSO_OTHER_IDP',
        `${alsoOther.length} holder(s) of ${input.target} are linked to ${input.alias} and also to ${others.join(', ')}, ` +
          `through which they can sign in without Entra, so the mapper never takes the rights away: ${listNames(alsoOther)}`,
        `remove the other link (Users → Identity provider links) or take them out of ${input.target}`,
      ),
    );
  }
  if (otherIdp.length) {
    out.push(
      finding(
        'error',
        'KC_MEMBER_OTHER_IDP',
        `${otherIdp.length} holder(s) of ${input.target} sign in through other identity providers ` +
          `(${[...new Set(otherIdp.flatMap((h) => h.links.map((l) => l.identityProvider)))].join(', ')}), so PIM does not govern ` +
          `them: ${listNames(otherIdp)}`,
        `remove them from ${input.target}`,
      ),
    );
  }
  if (inactive.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_NOT_ACTIVE',
        `${inactive.length} holder(s) of ${input.target} have no active PIM assignment now; Keycloak keeps the membership until ` +
          `their next sign-in through ${input.alias}: ${listNames(inactive)}`,
        `sign them out (Users → Sessions → Sign out) or remove them from ${input.target}; with sync mode FORCE their next Entra login removes it`,
      ),
    );
  }
  if (unknown.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_UNVERIFIABLE',
        `cannot tell whether ${unknown.length} holder(s) of ${input.target} have an active PIM assignment: their link to ` +
          `${input.alias} carries Entra's pairwise "sub", not the object id: ${listNames(unknown)}`,
        `add an "Attribute Importer" mapper on ${input.alias} that stores ` +
          `${input.protocol === 'saml' ? `attribute ${SAML_OBJECT_ID_ATTRIBUTE}` : 'claim oid'} in a user attribute declared in ` +
          `the realm's user profile (e.g. entraObjectId, admin-only); it is filled at each user's next login`,
      ),
    );
  }
  const disabled = holders.length - enabled.length;
  const notCompared = input.active ? '' : ' (active PIM assignments unknown: not compared)';
  out.push(
    finding(
      'info',
      'KC_MEMBERS',
      `${input.target} has ${holders.length} holder(s)${disabled ? `, ${disabled} disabled` : ''}: ${activeOk.length} with an ` +
        `active PIM assignment${notCompared}`,
    ),
  );
  return out;
}

/**
 * Credential types that sign a user in on their own: a password (Keycloak's or the user
 * storage's, checked by the default browser flow's Username Password Form and by the password
 * grant) and Kerberos (SPNEGO, from a user storage).
 */
const FIRST_FACTOR = new Set(['password', 'kerberos']);
/** A passkey signs in on its own wherever the realm's flows accept passkeys (not in the default flows). */
const PASSKEY = 'webauthn-passwordless';
/**
 * Second factors: the default flows ask for them only after a password (OTP Form, WebAuthn
 * Authenticator and Recovery Codes run as conditional steps after the Username Password Form),
 * so without a first factor they open no way in.
 */
const SECOND_FACTOR = new Set(['otp', 'totp', 'hotp', 'webauthn', 'recovery-authn-codes']);

/**
 * Holders linked to the Entra provider who can also sign in without it. Mappers run only at a
 * sign-in through the provider, so a holder who signs in with a local password (or the password
 * grant) never meets the FORCE mapper and keeps the target after the PIM activation ends.
 * Holders without a link are already reported by residualFindings. Fails closed: a credential
 * type this tool does not know, or credentials it could not read, is a warning.
 */
export function localCredentialFindings(holders: Holder[], input: Pick<ResidualInput, 'alias' | 'target' | 'trustedAliases'>): Finding[] {
  const password: Holder[] = [];
  const passkey: Holder[] = [];
  const unknown: Holder[] = [];
  const unread: Holder[] = [];
  const unknownTypes = new Set<string>();
  for (const h of holders) {
    if (h.user.enabled === false || !h.links.some((l) => entraLink(l, input))) continue;
    if (h.credentials === undefined || (h.user.federationLink && h.storageCredentialTypes === undefined)) {
      unread.push(h);
      continue;
    }
    const types = [...h.credentials.map((c) => c.type), ...(h.storageCredentialTypes ?? [])].map((t) => t.toLowerCase());
    if (types.some((t) => FIRST_FACTOR.has(t))) password.push(h);
    else if (types.includes(PASSKEY)) passkey.push(h);
    const odd = types.filter((t) => !FIRST_FACTOR.has(t) && t !== PASSKEY && !SECOND_FACTOR.has(t));
    if (odd.length && !password.includes(h)) {
      unknown.push(h);
      for (const t of odd) unknownTypes.add(t);
    }
  }
  const out: Finding[] = [];
  const why = `the mapper runs only at a sign-in through ${input.alias}, so they keep ${input.target} after their PIM activation ends`;
  if (password.length) {
    out.push(
      finding(
        'error',
        'KC_MEMBER_LOCAL_PASSWORD',
        `${password.length} holder(s) of ${input.target} are linked to ${input.alias} but also have a password in Keycloak or ` +
          `its user storage, so they can sign in without Entra (login form or password grant); ${why}: ${listNames(password)}`,
        `delete their Keycloak password (Users → user → Credentials → Delete), or for a user-storage account stop it from being ` +
          `a holder; admins must sign in only through ${input.alias}`,
      ),
    );
  }
  if (passkey.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_LOCAL_PASSKEY',
        `${passkey.length} holder(s) of ${input.target} are linked to ${input.alias} but also have a passkey ` +
          `(webauthn-passwordless), which signs them in without Entra wherever the realm's flows accept passkeys; ${why}: ` +
          `${listNames(passkey)}`,
        'delete the passkey (Users → user → Credentials), or make sure no flow of the realm accepts passkeys',
      ),
    );
  }
  if (unknown.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_CREDENTIAL_UNKNOWN',
        `${unknown.length} holder(s) of ${input.target} linked to ${input.alias} have credentials of a type this tool does not ` +
          `judge (${[...unknownTypes].join(', ')}); if a flow of the realm accepts it alone, they sign in without Entra: ` +
          `${listNames(unknown)}`,
        "check the realm's authentication flows, or delete those credentials",
      ),
    );
  }
  if (unread.length) {
    out.push(
      finding(
        'warning',
        'KC_MEMBER_CREDENTIALS_UNREAD',
        `cannot tell whether ${unread.length} holder(s) of ${input.target} linked to ${input.alias} can also sign in with a ` +
          `password: their credentials were not read: ${listNames(unread)}`,
        'grant the view-users role of realm-management to the account',
      ),
    );
  }
  return out;
}

/** Active member assignments of the group at `now` (PIM instances cover both activations and active assignments). */
export function activePrincipals(
  instances: Array<{
    principalId: string;
    groupId?: string;
    accessId?: string;
    startDateTime?: string | null;
    endDateTime?: string | null;
  }>,
  groupId: string | undefined,
  now: Date,
): Set<string> {
  const t = now.getTime();
  return new Set(
    instances
      .filter(isMemberAccess)
      // An instance without the group it belongs to is not understood: it explains nobody's rights.
      .filter((i) => !groupId || (typeof i.groupId === 'string' && i.groupId.toLowerCase() === groupId.toLowerCase()))
      .filter((i) => !i.startDateTime || Date.parse(i.startDateTime) <= t)
      .filter((i) => !i.endDateTime || Date.parse(i.endDateTime) > t)
      .map((i) => i.principalId.toLowerCase()),
  );
}
