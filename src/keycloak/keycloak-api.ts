import { KeycloakError } from '../errors.js';
import type { HttpRequest } from '../core/http.js';
import { WriteGate } from '../core/write-gate.js';
import { KeycloakReadOnlyError } from './errors.js';
import { isRecord, type CallInfo, type KeycloakApiOptions } from './connection.js';
import { KeycloakRoleReads } from './keycloak-api-roles.js';
import { keycloakRequest, type KeycloakWrite } from './requests.js';
import type { IdpMapper } from './types.js';

export type { KeycloakApiOptions } from './connection.js';

/** Result of a write that Keycloak accepted. */
export interface WriteResult {
  status: number;
  /** Id of a created resource, from the Location header. */
  id?: string;
}

export { KeycloakReadOnlyError };

/**
 * The only door to the Keycloak admin REST API: every read this tool makes (keycloak-api-realm.ts,
 * keycloak-api-users.ts, keycloak-api-roles.ts), and writes through the shared write gate
 * (journal `before`, send, journal `after`, refused outright when read-only). Sign-in, paging and
 * error mapping are the connection's (connection.ts).
 */
export class KeycloakApi extends KeycloakRoleReads {
  readonly readOnly: boolean;
  /** Server version from /admin/serverinfo, when the account may read it. */
  version?: string;
  private readonly gate: WriteGate;

  constructor(opts: KeycloakApiOptions) {
    super(opts);
    this.readOnly = opts.readOnly;
    this.gate = new WriteGate({
      target: 'keycloak',
      journal: opts.journal,
      readOnly: opts.readOnly,
      refused: (what) => new KeycloakReadOnlyError(`refused ${what}: this Keycloak connection is read-only`),
      stats: this.stats,
    });
  }

  /** Loads the admin client, signs in and reads the server version (when permitted). Fails with a one-line KeycloakError. */
  async connect(): Promise<void> {
    await this.client();
    await this.scoped(() => this.accessToken());
    this.version = await this.serverVersion();
    this.opts.log.verbose(
      `Keycloak ${this.version ?? '(version not visible to this account)'} at ${this.settings.url}, signed in as ` +
        `${this.principal} in realm ${this.settings.authRealm}`,
    );
  }

  // ---- writes ----------------------------------------------------------------------------

  /**
   * A write through the write gate (journaled before it is sent, refused outright when
   * read-only), sent through the admin client. It knows only the mapper create and update of
   * requests.ts and refuses anything else before journaling.
   */
  async write(op: KeycloakWrite, backup?: unknown): Promise<WriteResult> {
    const known = knownWrite(op);
    this.gate.assertWritable(known ? requestLine(keycloakRequest(known)) : `${String((op as { op?: unknown } | undefined)?.op)}`);
    if (!known) {
      throw new KeycloakError(
        `refused ${String((op as { op?: unknown } | undefined)?.op)}: the Keycloak write gate only creates (POST …/mappers) and ` +
          `updates (PUT …/mappers/{id}) identity-provider mappers`,
      );
    }
    const request = keycloakRequest(known);
    const info: CallInfo = { method: request.method, path: request.url, what: requestLine(request), role: 'manage-identity-providers' };
    const { realm, alias } = known;
    return this.gate.write(
      request,
      backup,
      async (): Promise<WriteResult> => {
        if (known.op === 'keycloak.createMapper') {
          const created = await this.call({ ...info, okStatus: 201 }, (kc) =>
            kc.identityProviders.createMapper({ realm, alias, identityProviderMapper: known.mapper }),
          );
          return { status: 201, id: created?.id ? safeDecode(created.id) : undefined };
        }
        const id = known.mapperId;
        await this.call({ ...info, okStatus: 204 }, (kc) => kc.identityProviders.updateMapper({ realm, alias, id }, known.mapper));
        return { status: 204 };
      },
      {
        answer: (result) => ({ ok: true, status: result.status, response: result.id ? { id: result.id } : undefined }),
        failure: (err) => ({
          ok: false,
          status: err instanceof KeycloakError ? err.status : undefined,
          message: err instanceof Error ? err.message : String(err),
        }),
      },
    );
  }

  /** Creates a provider mapper through the write gate. */
  createMapper(realm: string, alias: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write({ op: 'keycloak.createMapper', realm, alias, mapper });
  }

  /** Replaces a provider mapper through the write gate. */
  updateMapper(realm: string, alias: string, id: string, mapper: IdpMapper): Promise<WriteResult> {
    return this.write({ op: 'keycloak.updateMapper', realm, alias, mapperId: id, mapper });
  }
}

/**
 * The write when it is one the gate knows (a mapper create or update with a realm, an alias, a
 * mapper id for an update, and a mapper representation), else undefined.
 */
function knownWrite(op: KeycloakWrite | undefined): KeycloakWrite | undefined {
  if (!isRecord(op) || typeof op.realm !== 'string' || !op.realm || typeof op.alias !== 'string' || !op.alias || !isRecord(op.mapper))
    return undefined;
  if (op.op === 'keycloak.createMapper') return op;
  if (op.op === 'keycloak.updateMapper' && typeof op.mapperId === 'string' && op.mapperId) return op;
  return undefined;
}

/** `METHOD path` of a request, for messages. */
function requestLine(request: HttpRequest): string {
  return `${request.method} ${request.url}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}
