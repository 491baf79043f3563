/**
 * Which routes of an API one cached authorizer answer may serve. API Gateway caches an answer by
 * the `Authorization` header, per authorizer, and reuses it for every route of that authorizer
 * within `resultsCacheTtl`; the construct gives an API one authorizer per group of routes.
 *
 * @example
 * new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecretName: 'phantom-token/introspection-client',
 *   cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY,
 * });
 */
export enum CachedAnswerSharing {
  /**
   * Routes of one API share an answer only when they need the same scopes. Exact whether API
   * Gateway evaluates a cached answer's policy against each later request or reuses the first
   * request's decision (neither is documented for HTTP APIs): a cached allow never reaches a route
   * that needs more. A token costs one invocation per scope set it uses, within the TTL.
   */
  SAME_SCOPES = 'same-scopes',
  /**
   * Routes needing different scopes share an answer that allows or denies each of them. Exact only
   * if API Gateway evaluates a cached answer's policy against each later request's ARN, as it
   * documents for REST APIs; check it in your account with the integration tests
   * (docs/verified-on-aws.md) before choosing it. A token usually costs one invocation per TTL.
   */
  EVALUATED_POLICY = 'evaluated-policy',
}
