import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  clientCredentialsSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123',
};

/**
 * The construct with `BASE_PROPS` and `props`; a client-credentials secret prop in `props` replaces
 * the base one (the construct takes exactly one).
 */
export function authorizerIn(stack: Stack, props: Partial<PhantomTokenAuthorizerProps> = {}, id = 'PhantomToken'): PhantomTokenAuthorizer {
  const ownSecret = ['clientCredentialsSecret', 'clientCredentialsSecretName', 'clientCredentialsSecretArn'].some((prop) => prop in props);
  const { clientCredentialsSecretArn, ...rest } = BASE_PROPS;
  return new PhantomTokenAuthorizer(stack, id, { ...rest, ...(ownSecret ? {} : { clientCredentialsSecretArn }), ...props });
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

/** Whether cfn-lint is on PATH: the template checks that need it are skipped, saying so, where it is not. */
export const CFN_LINT = spawnSync('cfn-lint', ['--version']).status === 0;

/** The title suffix of a test that needs cfn-lint: why it is skipped, where it is. */
export const CFN_LINT_NOTE = CFN_LINT ? '' : ' (skipped: cfn-lint is not on PATH)';

/**
 * The cfn-lint errors (not warnings) of each stack's template, by stack path: an empty list each
 * when the templates would pass CloudFormation's own schema and rule checks as far as cfn-lint knows them.
 */
export function cfnLintErrors(stacks: readonly Stack[]): Record<string, string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  try {
    return Object.fromEntries(
      stacks.map((stack, index) => {
        const file = join(dir, `template-${index}.json`);
        writeFileSync(file, JSON.stringify(Template.fromStack(stack).toJSON()));
        const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', file], { encoding: 'utf8' });
        if (result.error !== undefined) throw result.error;
        const errors = result.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
        // cfn-lint's exit status has bit 2 set for errors (4: warnings, 8: informational).
        if (((result.status ?? 2) & 2) !== 0 && errors.length === 0) errors.push(result.stdout || result.stderr);
        return [stack.node.path, errors];
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
