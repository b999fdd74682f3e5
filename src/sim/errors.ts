/** A Graph-shaped error thrown by route handlers and turned into a response by the server. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

/**
 * Graph's error envelope: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`.
 * Learn "Microsoft Graph error responses" (errors): a single `error` object with `code`, `message`
 * and an optional `innerError` (`request-id`, `date`); the items of Learn "JSON batching"
 * (json-batching) add `client-request-id` and write `date` without fractional seconds or zone.
 */
export function graphErrorBody(
  code: string,
  message: string,
  requestId: string,
  clientRequestId: string,
  date: Date,
): Record<string, unknown> {
  return {
    error: {
      code,
      message,
      innerError: {
        date: date.toISOString().replace(/\.\d{3}Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

/**
 * Directory object lookups answer with this wording when an id is unknown. Status from Learn
 * "Microsoft Graph error responses" (404 Not Found); code and wording: ASSUMPTIONS.md (Transport).
 */
export function notFound(id: string): GraphError {
  return new GraphError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/** 400 `Request_BadRequest`. */
export function badRequest(message: string, code = 'Request_BadRequest'): GraphError {
  return new GraphError(400, code, message);
}

/** 403 with Graph's directory wording: code and message of item 3 in Learn "JSON batching" (json-batching). */
export function forbidden(): GraphError {
  return new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

/**
 * Default error code for a bare status code (used by fault rules without a body). 403 as
 * forbidden(), 404 as notFound(), 401 as auth.ts; Learn "Microsoft Graph throttling guidance"
 * (throttling) documents 429 with Retry-After but no code. The pairings: ASSUMPTIONS.md
 * (Transport: fault rules without a body).
 */
export function defaultCodeForStatus(status: number): { code: string; message: string } {
  switch (status) {
    case 400:
      return { code: 'BadRequest', message: 'Bad request.' };
    case 401:
      return { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' };
    case 403:
      return { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' };
    case 404:
      return { code: 'Request_ResourceNotFound', message: 'Resource not found.' };
    case 409:
      return { code: 'Conflict', message: 'Conflict.' };
    case 429:
      return { code: 'TooManyRequests', message: 'Too many requests.' };
    case 500:
      return { code: 'InternalServerError', message: 'An internal server error occurred.' };
    case 502:
      return { code: 'BadGateway', message: 'Bad gateway.' };
    case 503:
      return { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable.' };
    case 504:
      return { code: 'GatewayTimeout', message: 'The gateway timed out.' };
    default:
      return { code: status >= 500 ? 'UnknownError' : 'BadRequest', message: `HTTP ${status}.` };
  }
}
