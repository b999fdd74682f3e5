/** How long Keycloak sessions outlive a PIM activation. */
import { humanDuration } from '../core/duration.js';
import { finding, type Finding } from '../core/findings.js';
import type { RealmInfo } from './types.js';

/** `8 h`, `30 d`, `1 d 12 h`. */
export function humanSeconds(s: number): string {
  return humanDuration(s * 1000);
}

/**
 * Mappers run only at login, so a Keycloak session started during an activation keeps the group
 * until it ends. Warns when sessions (SSO, remember-me, offline) can outlive the longest
 * activation. Client session limits (0 = inherit) cannot extend an SSO session, only shorten it.
 */
export function sessionFindings(
  realm: RealmInfo,
  activationSeconds: number,
  o: { realm: string; target: string; activation: string },
): Finding[] {
  const out: Finding[] = [];
  const a = activationSeconds;
  const act = `the longest PIM activation (${o.activation} = ${humanSeconds(a)})`;
  const ssoMax = realm.ssoSessionMaxLifespan ?? 0;
  const idle = realm.ssoSessionIdleTimeout ?? 0;
  const clientMax = realm.clientSessionMaxLifespan ?? 0;
  const effectiveClient = clientMax > 0 && ssoMax > 0 ? Math.min(clientMax, ssoMax) : ssoMax;
  if (ssoMax <= 0 || ssoMax > a) {
    const lasting =
      ssoMax > 0 ? `up to ${humanSeconds(ssoMax)} (ssoSessionMaxLifespan=${ssoMax})` : 'without a limit (ssoSessionMaxLifespan=0)';
    out.push(
      finding(
        'warning',
        'KC_SESSION_OUTLIVES_ACTIVATION',
        `SSO sessions in realm ${o.realm} last ${lasting}, longer than ${act}: a user keeps ${o.target} in Keycloak until the ` +
          `session ends, because the mapper only runs at the next Entra login` +
          (clientMax > 0 ? ` (client sessions end after ${humanSeconds(effectiveClient)}, but the SSO session opens new ones)` : ''),
        `set ssoSessionMaxLifespan to ${a} (${humanSeconds(a)}) or less in realm ${o.realm} (Realm settings → Sessions → SSO ` +
          `Session Max)${idle > a || idle <= 0 ? `, and ssoSessionIdleTimeout (${idle}) below it` : ''}`,
      ),
    );
  }
  if (realm.rememberMe) {
    const rm =
      realm.ssoSessionMaxLifespanRememberMe && realm.ssoSessionMaxLifespanRememberMe > 0 ? realm.ssoSessionMaxLifespanRememberMe : ssoMax;
    if (rm <= 0 || rm > a) {
      out.push(
        finding(
          'warning',
          'KC_SESSION_REMEMBER_ME',
          `"Remember me" is on in realm ${o.realm} and those sessions last ${rm > 0 ? humanSeconds(rm) : 'without a limit'}, longer than ${act}`,
          `turn off Remember me, or set ssoSessionMaxLifespanRememberMe to ${a} or less`,
        ),
      );
    }
  }
  const offlineIdle = realm.offlineSessionIdleTimeout ?? 0;
  if (!realm.offlineSessionMaxLifespanEnabled) {
    out.push(
      finding(
        'warning',
        'KC_SESSION_OFFLINE',
        `offline sessions in realm ${o.realm} have no maximum lifespan (offlineSessionMaxLifespanEnabled=false) and stay valid ` +
          `while used at least every ${humanSeconds(offlineIdle)}: an offline token (scope offline_access) keeps ${o.target} indefinitely`,
        `enable "Offline Session Max Limited" with offlineSessionMaxLifespan ${a} or less, or take the offline_access scope away from clients that admins use`,
      ),
    );
  } else if ((realm.offlineSessionMaxLifespan ?? 0) > a) {
    out.push(
      finding(
        'warning',
        'KC_SESSION_OFFLINE',
        `offline sessions in realm ${o.realm} last up to ${humanSeconds(realm.offlineSessionMaxLifespan ?? 0)}, longer than ${act}`,
        `set offlineSessionMaxLifespan to ${a} or less, or take the offline_access scope away from clients that admins use`,
      ),
    );
  }
  if (out.length === 0) {
    out.push(
      finding(
        'info',
        'KC_SESSIONS',
        `Keycloak sessions in realm ${o.realm} end within ${act} (SSO max ${humanSeconds(ssoMax)}, idle ${humanSeconds(idle)})`,
      ),
    );
  }
  return out;
}
