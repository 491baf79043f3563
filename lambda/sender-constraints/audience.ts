import type { AuthorizerRequest } from '../authorizer-event.js';
import type { ActiveToken } from '../introspection-client.js';

/**
 * The audience a request's token must hold: the API's own (`API_AUDIENCES`, by the event's
 * `requestContext.apiId`), else the function's (`AUDIENCE`), else none. With `API_AUDIENCES` set
 * and `AUDIENCE` unset, an API the map does not name (or an event without an API id) has no
 * audience a token could hold: it is denied (`wrong_audience`), never left unchecked.
 */
export interface AudienceRule {
  readonly audience: string | undefined;
  readonly apiAudiences: ReadonlyMap<string, string>;
}

/**
 * RFC 9068 §4: a resource server must check that the token was issued for it. `true` when no
 * audience is required, or the token's `aud` (string or array) holds the required one exactly
 * (no prefix, case or trailing-slash leniency). A token without `aud` has none to hold.
 */
export function holdsAudience(rule: AudienceRule, request: AuthorizerRequest, token: ActiveToken): boolean {
  const required = (request.apiId !== undefined ? rule.apiAudiences.get(request.apiId) : undefined) ?? rule.audience;
  // Audiences per API and none for the rest: an API left out of the map fails closed.
  if (required === undefined) return rule.apiAudiences.size === 0;
  return token.aud?.includes(required) ?? false;
}
