import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
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

/** One route of the table the construct ships with its function (lambda/routes/route-table.ts). */
export interface ShippedRoute {
  readonly routeKey: string;
  readonly scopes: readonly string[];
  readonly group: number | 'route';
}

/**
 * The route table of the stack's authorizer function, as synthesized: the file in the function's
 * route-table layer (its asset, staged in the app's cloud assembly).
 */
export function routeTableOf(stack: Stack): ShippedRoute[] {
  const layers = Template.fromStack(stack).findResources('AWS::Lambda::LayerVersion', {
    Properties: { Description: Match.stringLikeRegexp('^Phantom token route table') },
  });
  const [layer, more] = Object.values(layers);
  if (layer === undefined || more !== undefined) throw new Error(`expected one route-table layer in ${stack.node.path}`);
  const assetDir = `asset.${(layer.Properties.Content.S3Key as string).replace(/\.zip$/, '')}`;
  const file = join(Stage.of(stack)?.outdir ?? '', assetDir, 'phantom-token', 'route-table.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { routes: ShippedRoute[] }).routes.map(({ routeKey, scopes, group }) => ({
    routeKey,
    scopes,
    group,
  }));
}
