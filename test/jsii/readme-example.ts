/**
 * The README's Python example as data: test/jsii/jsii-runtime.test.ts makes these calls through
 * the jsii runtime, and test/docs/readme.test.ts holds the README's Python block to them. Names
 * are jsii's (camelCase); Python spells them in snake_case.
 */
export const README_EXAMPLE = {
  stackId: 'OrdersApi',
  props: {
    introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
    clientCredentialsSecretName: 'phantom-token/introspection-client',
    jwksUri: 'https://login.example.com/oauth/v2/oauth-anonymous/jwks',
  },
  introspectionResponseType: 'TOKEN_INTROSPECTION_JWT',
  /** Duration props: the static factory and its argument. */
  durations: {
    resultsCacheTtl: ['seconds', 30],
    cacheMaxTtl: ['seconds', 120],
    introspectionTimeout: ['millis', 2_500],
  },
  route: {
    path: '/orders',
    method: 'GET',
    integration: ['Orders', 'https://orders.internal.example.com/orders'],
    scopes: ['orders:read'],
  },
  /** A route added with aws-cdk-lib's own addRoutes, guarded by the construct's authorizer; its scopes declared with requireScopes. */
  ownRoute: { path: '/orders', method: 'POST' },
  requireScopes: ['POST /orders', ['orders:write']],
} as const;

/** A jsii name as the Python package spells it. */
export const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
