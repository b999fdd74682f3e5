import { KeycloakError } from '../errors.js';

/** A write attempted through a read-only KeycloakApi: a bug, never a user error. */
export class KeycloakReadOnlyError extends KeycloakError {
  override name = 'KeycloakReadOnlyError';
}

/** A 403: the account lacks a realm-management role; `role` names it when the call knows which. */
export class KeycloakForbiddenError extends KeycloakError {
  override name = 'KeycloakForbiddenError';
  constructor(
    message: string,
    readonly role?: string,
  ) {
    super(message, 403);
  }
}
