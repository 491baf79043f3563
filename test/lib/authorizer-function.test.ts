import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { prebuiltCode } from '../../lib/authorizer-function.js';
import { PhantomTokenAuthorizer } from '../../lib/index.js';
import { authorizerIn, BASE_PROPS, template, unbundledStack } from './stacks.js';

describe('the function timeout', () => {
  it.each([
    [100, 2],
    [1200, 4],
    [1500, 4],
    [2100, 6],
    [3000, 7],
    [3999, 9],
    [4000, 9],
  ])('is 2 × an introspection timeout of %i ms + 1 s, rounded up to %i whole seconds', (ms, seconds) => {
    const stack = unbundledStack();
    authorizerIn(stack, { introspectionTimeout: Duration.millis(ms) });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Timeout: seconds,
      Environment: { Variables: Match.objectLike({ INTROSPECTION_TIMEOUT_MS: String(ms) }) },
    });
  });
});

describe('the log group', () => {
  it('is kept when the stack is destroyed, by default', () => {
    const stack = unbundledStack();
    authorizerIn(stack);
    template(stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('is deleted with the stack when logRemovalPolicy says so', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { logRemovalPolicy: RemovalPolicy.DESTROY });
    template(stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  it('is the user’s own when given, with none created, and the role may write to it', () => {
    const stack = unbundledStack();
    const logGroup = LogGroup.fromLogGroupName(stack, 'Logs', 'team/authorizer');
    const authorizer = authorizerIn(stack, { logGroup });
    const t = template(stack);
    t.resourceCountIs('AWS::Logs::LogGroup', 0);
    t.hasResourceProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: 'team/authorizer' } });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:log-group:team/authorizer:*']] },
          }),
        ]),
      },
    });
    expect(authorizer.logGroup).toBe(logGroup);
  });
});

describe('the construct exposes what CDK users reach for', () => {
  it('exposes the function as a Function, with its role and log group', () => {
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack);
    expect(authorizer.function).toBeInstanceOf(LambdaFunction);
    expect(authorizer.role).toBe(authorizer.function.role);
    authorizer.function.addEnvironment('EXTRA', '1');
    const t = template(stack);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ EXTRA: '1' }) } });
    const [logGroupId] = Object.keys(t.findResources('AWS::Logs::LogGroup'));
    expect(stack.resolve(authorizer.logGroup.logGroupName)).toEqual({ Ref: logGroupId });
  });
});

describe('the source map stays out of the deployed asset', () => {
  it('leaves the prebuilt map out of the package asset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'phantom-prebuilt-'));
    writeFileSync(join(dir, 'index.js'), 'exports.handler = async () => ({});\n//# sourceMappingURL=index.js.map\n');
    writeFileSync(join(dir, 'index.js.map'), '{"version":3,"sources":[],"mappings":""}');
    const outdir = mkdtempSync(join(tmpdir(), 'phantom-cdk-out-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'Prebuilt');
    new LambdaFunction(stack, 'Function', { runtime: Runtime.NODEJS_24_X, handler: 'index.handler', code: prebuiltCode(dir) });
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    expect(readdirSync(join(outdir, assets[0] as string))).toEqual(['index.js']);
  });

  it('bundles the function from sources without a map', { timeout: 120_000 }, () => {
    const outdir = mkdtempSync(join(tmpdir(), 'phantom-cdk-out-'));
    mkdirSync(outdir, { recursive: true });
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundled', { env: { account: '123456789012', region: 'eu-west-1' } });
    new PhantomTokenAuthorizer(stack, 'PhantomToken', BASE_PROPS);
    app.synth();
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.') && existsSync(join(outdir, name, 'index.js')));
    expect(assets).toHaveLength(1);
    expect(readdirSync(join(outdir, assets[0] as string))).toEqual(['index.js']);
  });
});
