import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PhantomTokenAuthorizer, type PhantomTokenAuthorizerProps } from '../../lib/index.js';

const ENV = { account: '123456789012', region: 'eu-west-1' };

/** An app whose Lambda assets are not bundled: bundling is tested once, on its own. */
export function unbundledApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

/** A stack whose Lambda assets are not bundled: bundling is tested once, on its own. */
export function unbundledStack(app: App = unbundledApp(), id = 'Test'): Stack {
  return new Stack(app, id, { env: ENV });
}

export const BASE_PROPS: PhantomTokenAuthorizerProps = {
  introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
  clientCredentialsSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123',
};

export function authorizerIn(stack: Stack, props: Partial<PhantomTokenAuthorizerProps> = {}, id = 'PhantomToken'): PhantomTokenAuthorizer {
  return new PhantomTokenAuthorizer(stack, id, { ...BASE_PROPS, ...props });
}

export function template(stack: Stack): Template {
  return Template.fromStack(stack);
}
