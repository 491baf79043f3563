/**
 * How the OAuth server answers the authorizer's introspection request: the value of the
 * function's `INTROSPECTION_RESPONSE_TYPE`, and the `Accept` header it sends. The values are
 * `RESPONSE_TYPES` of lambda/environment.ts (a test holds them equal; jsii enums take literals).
 *
 * @example
 * new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecretName: 'phantom-token/introspection-client',
 *   introspectionResponseType: IntrospectionResponseType.TOKEN_INTROSPECTION_JWT,
 *   jwksUri: 'https://login.example.com/oauth/v2/oauth-anonymous/jwks',
 * });
 */
export enum IntrospectionResponseType {
  /** `application/jwt`: the Curity Identity Server's phantom-token response (the JWT is the body). */
  JWT = 'application/jwt',
  /** `application/token-introspection+jwt` (RFC 9701): a signed introspection response, verified against `jwksUri`. */
  TOKEN_INTROSPECTION_JWT = 'application/token-introspection+jwt',
}
