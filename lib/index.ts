/**
 * cdk-phantom-token: the phantom token pattern for API Gateway.
 * The public surface of the construct library; everything not exported here is internal.
 *
 * The map: `phantom-token-authorizer.ts` is the construct (the facade users create);
 * `props.ts` its props and `validate-props.ts` their synth-time checks; `authorizer-function.ts`
 * the function, its role, log group, secret and bundling; `http-route-authorizer.ts` and
 * `rest-authorizer.ts` the wiring into each kind of API; `jwt-forwarding.ts` the JWT's delivery
 * to integrations; `route-scope-registry.ts` the per-route scopes handed to the function.
 */

export {
  CONTEXT_KEYS,
  DEFAULT_JWT_HEADER_NAME,
  DEFAULTS,
  ENV,
  type IntrospectionResponseType,
  RESPONSE_TYPES,
} from '../lambda/environment.js';
export type { PhantomTokenHttpRouteOptions } from './http-route-authorizer.js';
export { PhantomTokenAuthorizer } from './phantom-token-authorizer.js';
export type { PhantomTokenAuthorizerProps } from './props.js';
export type { PhantomTokenRestMethodOptions } from './rest-authorizer.js';
