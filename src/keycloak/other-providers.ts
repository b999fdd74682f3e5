/** Mappers of identity providers other than the chosen one, and mapper types this tool does not know, that grant the target. */
import { finding, type Finding } from '../core/findings.js';
import { evaluateMapper } from './mapper-judging.js';
import { HARDCODED, kindOf, targetOf } from './mapper-kinds.js';
import type { MappingExpectation } from './mapping-expectation.js';
import { protocolOf, type Protocol } from './protocol.js';
import { untrustedEntraProvider, type EntraApp } from './provider.js';
import type { IdentityProvider, IdpMapper } from './types.js';

/** Mappers on other providers that grant the target: a way to it that bypasses PIM. */
export function otherProviderGrants(alias: string, mappers: IdpMapper[], target: MappingExpectation['target']): Finding[] {
  const grants = mappers.filter((m) => {
    const k = kindOf(m);
    // A mapper type this tool does not know (a custom one, "External Role to Role") that names the
    // target in its config counts as a grant: nothing shows that it requires the PIM group.
    const kind = k?.target ?? HARDCODED[m.identityProviderMapper] ?? target.kind;
    return kind === target.kind && targetOf(m, target.kind) === target.value;
  });
  return grants.map((m) =>
    finding(
      'error',
      'KC_MAPPER_OTHER_IDP',
      `mapper "${m.name}" on identity provider ${alias} also grants ${target.value}: users signing in through ${alias} get it without PIM`,
      `delete the mapper or point it at another ${target.kind}`,
    ),
  );
}

/**
 * On the chosen provider: mappers of a type this tool does not know that assign exactly the
 * target. planMapper judges only the claim and attribute mappers it understands, so such a mapper
 * would otherwise pass unseen; it cannot be shown to require the PIM group, so it is a way in.
 */
export function unknownTypeGrants(alias: string, mappers: IdpMapper[], target: MappingExpectation['target']): Finding[] {
  return mappers
    .filter((m) => !kindOf(m) && !HARDCODED[m.identityProviderMapper] && targetOf(m, target.kind) === target.value)
    .map((m) =>
      finding(
        'error',
        'KC_MAPPER_UNKNOWN_TYPE',
        `mapper "${m.name}" on ${alias} (type ${m.identityProviderMapper}) assigns ${target.value}; this tool does not know how ` +
          `that mapper type decides, so it cannot show that it requires the PIM group`,
        `delete mapper "${m.name}", or replace it with an Advanced Claim to ${target.kind === 'group' ? 'Group' : 'Role'} mapper (--fix-keycloak creates one)`,
      ),
    );
}

/** What judgeOtherProvider needs: a provider other than the chosen one, and the expectation per protocol. */
export interface OtherProviderInput {
  idp: IdentityProvider;
  mappers: IdpMapper[];
  target: MappingExpectation['target'];
  app: EntraApp;
  /** The expected claim per protocol (undefined when the Entra facts are missing). */
  claims: Partial<Record<Protocol, MappingExpectation['claim']>>;
}

/**
 * Judges the mappers of another provider that grant the target. A second Entra provider of this
 * tenant (OIDC and SAML side by side) may grant it too, when its mapper requires the PIM group in
 * its own protocol: such a mapper is judged like the chosen provider's (sync mode included).
 * Every other grant is a way in without PIM.
 */
export function judgeOtherProvider(input: OtherProviderInput): Finding[] {
  const { idp, target } = input;
  const protocol = protocolOf(idp.providerId);
  const untrusted = untrustedEntraProvider(idp, input.app);
  const claim = protocol ? input.claims[protocol] : undefined;
  const out: Finding[] = [];
  for (const m of input.mappers) {
    const bypass = otherProviderGrants(idp.alias, [m], target);
    if (bypass.length === 0) continue;
    const kind = kindOf(m);
    if (untrusted || !protocol || !claim || !kind || kind.protocol !== protocol || kind.target !== target.kind) {
      const why = untrusted
        ? `identity provider ${idp.alias} cannot vouch for the PIM group: ${untrusted}`
        : !claim
          ? 'the Entra group (or app role) is unknown, so its condition cannot be checked'
          : 'it is not a claim mapper for this protocol and target';
      out.push(...bypass.map((f) => ({ ...f, message: `${f.message} (${why})` })));
      continue;
    }
    const exp: MappingExpectation = {
      protocol,
      alias: idp.alias,
      target,
      claim,
      idpSyncMode: idp.config?.syncMode,
      tenantId: input.app.tenantId,
    };
    const issues = evaluateMapper(m, exp);
    const conditionErrors = issues.filter((i) => i.severity === 'error' && !i.code.startsWith('KC_MAPPER_SYNC_'));
    if (conditionErrors.length) {
      out.push(
        ...bypass.map((f) => ({
          ...f,
          message: `${f.message}: it does not require the PIM group (${conditionErrors.map((i) => i.message).join('; ')})`,
        })),
      );
      continue;
    }
    const fix = `correct mapper "${m.name}" on ${idp.alias} in the admin console (--fix-keycloak repairs only the chosen provider's mapper)`;
    for (const i of issues) out.push(finding(i.severity, i.code, i.message, i.fix ?? fix));
  }
  return out;
}
