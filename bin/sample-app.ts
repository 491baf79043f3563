import { Annotations, App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IntrospectionResponseType } from '../lib/index.js';
import { SAMPLE_API_AUDIENCE, type SampleRevocation, SampleStack } from './sample-stack.js';

/**
 * Builds the sample app from CDK context: `introspectionEndpoint`, `clientCredentialsSecret`,
 * and optionally `introspectionResponseType`, `jwksUri`, `issuer`, `audience`,
 * `senderConstrainedTokens` (`true` for DPoP- and certificate-bound tokens), `backendJwksUri` and
 * `backendIssuer` (the HTTP backend's JWT verification; default: `jwksUri` and `issuer`), `stackName`,
 * `sharedCache` (`true`: the shared introspection cache, a DynamoDB table) with
 * `sharedCacheMemoryTtlSeconds` and `sharedCacheTimeoutMs`, `revocationIssuer`, `revocationJwksUri` and `revocationAudience`
 * (all three: the revocation receiver the identity server pushes Security Event Tokens to; needs
 * `sharedCache`), and `resultsCacheTtlSeconds` (API Gateway's decision cache, both APIs). Without an
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
    sharedCache: context('sharedCache') === 'true',
    sharedCacheMemoryTtlSeconds: seconds(context('sharedCacheMemoryTtlSeconds'), 'sharedCacheMemoryTtlSeconds'),
    sharedCacheTimeoutMs: seconds(context('sharedCacheTimeoutMs'), 'sharedCacheTimeoutMs'),
    revocation: revocationFrom(context),
    resultsCacheTtlSeconds: seconds(context('resultsCacheTtlSeconds'), 'resultsCacheTtlSeconds'),
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

/** The revocation receiver's settings, when all three are given; none of them: no receiver. */
function revocationFrom(context: (name: string) => string | undefined): SampleRevocation | undefined {
  const issuer = context('revocationIssuer');
  const jwksUri = context('revocationJwksUri');
  const audience = context('revocationAudience');
  if (issuer === undefined && jwksUri === undefined && audience === undefined) return undefined;
  if (issuer === undefined || jwksUri === undefined || audience === undefined)
    throw new Error('-c revocationIssuer, revocationJwksUri and revocationAudience go together: give all three, or none');
  return { issuer, jwksUri, audience };
}

/** A whole number (seconds, or milliseconds for a `…Ms` name) from the context, or undefined when absent. */
function seconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`-c ${name} must be a whole number; received ${JSON.stringify(value)}`);
  return Number(value);
}
