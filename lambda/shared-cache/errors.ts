import { PhantomTokenError } from '../errors.js';

/**
 * The shared introspection cache's table did not answer, or not in time. Never a decision's
 * reason, never an answer and never a 500: the authorizer asks the OAuth server instead, and the
 * decision line says `sharedCache: "unavailable"` with the message.
 */
export class SharedCacheUnavailableError extends PhantomTokenError {
  readonly code = 'ERR_SHARED_CACHE_UNAVAILABLE';
  override readonly name = 'SharedCacheUnavailableError';
}
