import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IntrospectionResponseType } from '../lib/index.js';
import { SampleStack } from './sample-stack.js';

/**
 * Builds the sample app from CDK context: `introspectionEndpoint`, `clientCredentialsSecret`,
 * and optionally `introspectionResponseType`, `jwksUri`, `issuer`, `audience`,
 * `senderConstrainedTokens` (`true` for DPoP- and certificate-bound tokens), `stackName`. Without an
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
    audience: context('audience'),
    senderConstrainedTokens: context('senderConstrainedTokens') === 'true',
  });
  if (context('introspectionEndpoint') === undefined) {
    Annotations.of(stack).addWarningV2(
      'phantom-token:placeholder-endpoint',
      'No -c introspectionEndpoint=… given: synthesized with a placeholder. Pass your OAuth server before deploying.',
    );
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
