import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IntrospectionResponseType } from '../lib/index.js';
import { SAMPLE_API_AUDIENCE, SampleStack } from './sample-stack.js';

/**
 * Builds the sample app from CDK context: `introspectionEndpoint`, `clientCredentialsSecret`,
 * and optionally `introspectionResponseType`, `jwksUri`, `issuer`, `audience`,
 * `senderConstrainedTokens` (`true` for DPoP- and certificate-bound tokens), `backendJwksUri` and
 * `backendIssuer` (the HTTP backend's JWT verification; default: `jwksUri` and `issuer`), `stackName`. Without an
 * endpoint it synthesizes with placeholders (offline, no credentials needed) and says so.
 * cdk-nag's AwsSolutions checks run on every synth.
 */
export function createSampleApp(app: App = new App()): { app: App; stack: SampleStack } {
  const context = (name: string): string | undefined => app.node.tryGetContext(name);
  const stack = new SampleStack(app, context('stackName') ?? 'PhantomTokenSample', {
    introspectionEndpoint: context('introspectionEndpoint') ?? 'https://login.example.com/oauth/v2/oauth-introspect',
    clientCredentialsSecret: context('clientCredentialsSecret') ?? 'phantom-token/introspection-client',
    introspectionResponseType: context('introspectionResponseType') as IntrospectionResponseType | undefined,
    jwksUri: context('jwksUri'),
    issuer: context('issuer'),
    // The HTTP backend verifies the JWTs it receives against the same OAuth server's keys.
    backendJwksUri: context('backendJwksUri') ?? context('jwksUri') ?? 'https://login.example.com/oauth/v2/oauth-anonymous/jwks',
    backendIssuer: context('backendIssuer') ?? context('issuer') ?? 'https://login.example.com/oauth/v2/oauth-anonymous',
    audience: context('audience'),
    senderConstrainedTokens: context('senderConstrainedTokens') === 'true',
  });
  if (context('introspectionEndpoint') === undefined) {
    Annotations.of(stack).addWarningV2(
      'phantom-token:placeholder-endpoint',
      'No -c introspectionEndpoint=… given: synthesized with a placeholder. Pass your OAuth server before deploying.',
    );
  }
  if (context('introspectionEndpoint') !== undefined && (context('backendJwksUri') ?? context('jwksUri')) === undefined) {
    Annotations.of(stack).addWarningV2(
      'phantom-token:placeholder-backend-jwks',
      'No -c jwksUri=… (or backendJwksUri / backendIssuer) given: the HTTP backend verifies JWTs against a placeholder JWKS and refuses every request to GET /backend.',
    );
  }
  if (context('introspectionEndpoint') !== undefined && context('audience') === undefined) {
    Annotations.of(stack).addWarningV2(
      'phantom-token:default-audience',
      `No -c audience=… given: the APIs require tokens whose aud holds ${SAMPLE_API_AUDIENCE}, so every token of an identity server that does not issue that audience is denied (wrong_audience). Pass the audience your server issues for these APIs.`,
    );
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
