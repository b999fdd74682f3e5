import { PERMISSION_SETS, requiredPermissions, type NeedsInput } from './permissions.js';
import type { AuthMethod } from './auth-methods.js';

/**
 * Delegated sign-in: which public client signs the user in and which Graph scopes it asks for.
 *
 * The Azure CLI's first-party client (@azure/identity's default for browser and device-code
 * sign-in) gets a fixed set of Graph scopes that holds no PIM-for-Groups scope, and no tenant
 * can consent more for it (Azure/azure-cli GitHub issue 30149). The "Microsoft Graph
 * Command Line Tools" public client, which Microsoft Graph PowerShell uses, takes explicit
 * scopes with incremental consent, so it is the default here; a tenant may name its own app.
 */

/** "Microsoft Graph Command Line Tools": Microsoft's public client for Graph (as Graph PowerShell uses). */
export const GRAPH_CLI_CLIENT_ID = '14d82eec-204b-4c2f-b7e8-296a70dab67e';
// Not the Azure CLI's first-party client (04b07795-8ddb-461a-bbee-02f9e1bf7b46): its Graph token
// carries a fixed scope set without PIM for Groups.

/** Sign-in methods where the user signs in to a public client that asks for explicit scopes. */
export const PUBLIC_CLIENT_METHODS: readonly AuthMethod[] = ['browser', 'device-code'];

/** What a command is about to do, which decides the scopes it asks for. */
export type ScopeRequest =
  | { command: 'run' | 'audit'; policyChanges: boolean; roleAssignableGroup?: boolean }
  | { command: 'activate' }
  | { command: 'verify-user'; byAppName?: boolean }
  | { command: 'restore'; dryRun: boolean };

/**
 * The delegated Graph permissions (bare names, e.g. `PrivilegedEligibilitySchedule.Read.AzureADGroup`)
 * a command asks for at sign-in. `run`/`audit` derive them from `requiredPermissions`, so the
 * prerequisites check and the sign-in never disagree.
 */
export function delegatedScopes(req: ScopeRequest): string[] {
  switch (req.command) {
    case 'run':
    case 'audit': {
      const input: NeedsInput = {
        mode: req.command,
        appOnly: false,
        roleAssignableGroup: Boolean(req.roleAssignableGroup),
        policyChanges: req.policyChanges,
      };
      // Every need's least-privileged permission, as the README's Permissions rows list them: a
      // write scope does not stand in for a read one, since some calls name both (Learn "Grant an
      // appRoleAssignment for a service principal": AppRoleAssignment.ReadWrite.All and Application.Read.All).
      return [...new Set(requiredPermissions(input).map((n) => n.permission))];
    }
    case 'activate':
      // The README's activate set, plus the member policy's read so that a duration over the
      // maximum, a missing justification or MFA is refused before anything is sent.
      return [...PERMISSION_SETS.activate, 'RoleManagementPolicy.Read.AzureADGroup'];
    case 'verify-user':
      // --app-name is resolved through /servicePrincipals (Application.Read.All).
      return [...PERMISSION_SETS.verifyUser, ...(req.byAppName ? ['Application.Read.All'] : [])];
    case 'restore':
      // Each member is read live before it is put back (who it is now, not what the journal says).
      return req.dryRun ? ['GroupMember.Read.All', ...PERMISSION_SETS.restore.slice(1)] : [...PERMISSION_SETS.restore];
  }
}

/** Full scope URIs on the cloud's Graph host, e.g. `https://graph.microsoft.com/User.Read`. */
export function scopeUris(graphHost: string, names: readonly string[]): string[] {
  const origin = new URL(graphHost).origin;
  return names.map((n) => `${origin}/${n}`);
}

/**
 * The fix for a delegated token that lacks `missing` scopes, in the terms of the sign-in that
 * produced it: the Azure CLI cannot get PIM scopes at all; a public client asks for them at
 * sign-in, and a scope that needs admin consent is granted once by an admin for the tenant.
 */
export function missingScopeFix(method: AuthMethod | undefined, missing: readonly string[], clientId?: string): string {
  const list = missing.join(', ');
  const publicClient =
    'sign in with --auth browser or --auth device-code, which request these scopes from the "Microsoft Graph Command Line ' +
    'Tools" app (or the app --client-id names); an admin consents once for the tenant';
  switch (method) {
    case 'azure-cli':
      return `the Azure CLI's Graph token has a fixed set of scopes and cannot be given ${list}: ${publicClient}`;
    case 'browser':
    case 'device-code':
      return clientId && clientId.toLowerCase() !== GRAPH_CLI_CLIENT_ID
        ? `give the app ${clientId} the delegated permissions ${list} with admin consent ` +
            `(API permissions → Microsoft Graph → Delegated), then sign in again`
        : `an admin consents to ${list} for the "Microsoft Graph Command Line Tools" app (${GRAPH_CLI_CLIENT_ID}) once, or you ` +
            `accept the consent prompt when signing in again`;
    case 'access-token':
      return `hand over a delegated token that carries ${list}, or ${publicClient}`;
    default:
      return `grant ${list} as delegated permissions to the identity running this tool, or ${publicClient}`;
  }
}
