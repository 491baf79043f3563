/**
 * Errors of the authorizer runtime. Every error carries a fixed `code` that the log line and
 * callers can switch on. Messages name the thing, the rule and the received value, never a
 * token, a JWT or a client secret.
 */
export abstract class PhantomTokenError extends Error {
  abstract readonly code: string;
}

/** The function's environment breaks the contract; the authorizer refuses every request. */
export class ConfigurationInvalidError extends PhantomTokenError {
  readonly code = 'ERR_CONFIGURATION_INVALID';
  override readonly name = 'ConfigurationInvalidError';
}

/** The introspection request could not be completed: refused, reset, timed out. */
export class IntrospectionRequestFailedError extends PhantomTokenError {
  readonly code = 'ERR_INTROSPECTION_REQUEST_FAILED';
  override readonly name = 'IntrospectionRequestFailedError';
}

/** The OAuth server answered, but not with anything we can trust as a decision. */
export class IntrospectionResponseInvalidError extends PhantomTokenError {
  readonly code = 'ERR_INTROSPECTION_RESPONSE_INVALID';
  override readonly name = 'IntrospectionResponseInvalidError';
}

/** The OAuth server rejected our client credentials (401 / `invalid_client`). */
export class ClientCredentialsRejectedError extends PhantomTokenError {
  readonly code = 'ERR_CLIENT_CREDENTIALS_REJECTED';
  override readonly name = 'ClientCredentialsRejectedError';
}

/** The client credentials could not be read from Secrets Manager, or are not of the expected shape. */
export class ClientCredentialsUnavailableError extends PhantomTokenError {
  readonly code = 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE';
  override readonly name = 'ClientCredentialsUnavailableError';
}

/** The event is not an API Gateway REQUEST authorizer event this function understands. */
export class AuthorizerEventInvalidError extends PhantomTokenError {
  readonly code = 'ERR_EVENT_INVALID';
  override readonly name = 'AuthorizerEventInvalidError';
}

/** The reason code of any error, for the log line: a fixed code, never a message. */
export function errorCode(error: unknown): string {
  return error instanceof PhantomTokenError ? error.code : 'ERR_INTERNAL';
}

/** The shared DPoP replay store (DynamoDB) could not say whether a proof was seen: the request fails (500), never allowed. */
export class ReplayStoreUnavailableError extends PhantomTokenError {
  readonly code = 'ERR_REPLAY_STORE_UNAVAILABLE';
  override readonly name = 'ReplayStoreUnavailableError';
}
