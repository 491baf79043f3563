import { App, Stack } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PhantomTokenAuthorizer } from 'cdk-phantom-token';

const app = new App();
const stack = new Stack(app, 'OrdersApi');

// The HTTP API your stack already has.
const api = new HttpApi(stack, 'Api');

const phantomToken = new PhantomTokenAuthorizer(stack, 'PhantomToken', {
  introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
  // The name of a Secrets Manager secret holding {"client_id": "…", "client_secret": "…"}
  // (or clientCredentialsSecretArn, or clientCredentialsSecret: an ISecret).
  clientCredentialsSecretName: 'phantom-token/introspection-client',
});

// GET /orders needs a token with the orders:read scope; the backend receives the JWT in x-phantom-jwt.
phantomToken.addHttpRoutes(api, {
  path: '/orders',
  methods: [HttpMethod.GET],
  integration: new HttpUrlIntegration('Orders', 'https://orders.internal.example.com/orders'),
  scopes: ['orders:read'],
});
