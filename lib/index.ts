/**
 * cdk-phantom-token: the phantom token pattern for API Gateway.
 * The public surface of the construct library; everything not exported here is internal.
 */

export {
  CONTEXT_KEYS,
  DEFAULT_JWT_HEADER_NAME,
  DEFAULTS,
  ENV,
  type IntrospectionResponseType,
  RESPONSE_TYPES,
} from '../lambda/environment.js';
export {
  PhantomTokenAuthorizer,
  type PhantomTokenAuthorizerProps,
  type PhantomTokenHttpRouteOptions,
  type PhantomTokenRestMethodOptions,
} from './phantom-token-authorizer.js';
