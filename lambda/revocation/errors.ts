import { PhantomTokenError } from '../errors.js';

/**
 * RFC 8935 §2.4's error codes, as the `err` of a 400 answer. The receiver answers all but
 * `access_denied`: every SET the configured issuer signs for this audience may be delivered, and
 * the transmitter is authenticated by the SET's signature alone (no HTTP authentication).
 */
export const DELIVERY_ERROR_CODES = [
  'invalid_request',
  'invalid_key',
  'invalid_issuer',
  'invalid_audience',
  'authentication_failed',
  'access_denied',
] as const;

export type DeliveryErrorCode = (typeof DELIVERY_ERROR_CODES)[number];

/**
 * The delivery or its SET is refused: the transmitter's fault, answered 400 with RFC 8935's
 * `{"err","description"}` (405 for a method other than POST). Retrying the same delivery cannot
 * succeed. The message is the `description`: it names the rule and the claim, never the SET.
 */
export class SecurityEventRefusedError extends PhantomTokenError {
  readonly code = 'ERR_SET_REFUSED';
  override readonly name: string = 'SecurityEventRefusedError';

  constructor(
    readonly err: DeliveryErrorCode,
    message: string,
    readonly status: 400 | 405 = 400,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A SET with the `iss` and `jti` of one received before: refused (400 `invalid_request`), logged as `duplicate`. */
export class SecurityEventReplayedError extends SecurityEventRefusedError {
  override readonly name = 'SecurityEventReplayedError';

  constructor() {
    super('invalid_request', 'duplicate: a SET with this iss and jti was received before');
  }
}

/**
 * The receiver could not find out whether the SET is good (the JWKS did not answer) or could not
 * record it (the table did not answer): answered 503, so the transmitter delivers it again.
 * `retryAfterSeconds` is sent as `Retry-After` when the receiver knows when it is worth trying again.
 */
export class RevocationUnavailableError extends PhantomTokenError {
  readonly code = 'ERR_REVOCATION_UNAVAILABLE';
  override readonly name = 'RevocationUnavailableError';

  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A REST stage's authorizer cache could not be flushed: a warning, never a failed delivery (the mark is what counts). */
export class StageFlushFailedError extends PhantomTokenError {
  readonly code = 'ERR_STAGE_FLUSH_FAILED';
  override readonly name = 'StageFlushFailedError';
}
