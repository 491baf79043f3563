import { CfnParameter, type Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { PhantomTokenAuthorizer } from '../../lib/index.js';
import { authorizerIn, template, unbundledStack } from './stacks.js';

const READ = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret';
const OTHER_ACCOUNT_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret';

/**
 * Builds the construct with one form of the secret (an `ISecret`; a string starting with `arn:` as
 * `clientCredentialsSecretArn`, else as `clientCredentialsSecretName`); answers what the function
 * is told and what its role may read.
 */
function deploy(form: (stack: Stack) => ISecret | string) {
  const stack = unbundledStack();
  const given = form(stack);
  authorizerIn(
    stack,
    typeof given !== 'string'
      ? { clientCredentialsSecret: given }
      : given.startsWith('arn:')
        ? { clientCredentialsSecretArn: given }
        : { clientCredentialsSecretName: given },
  );
  const t = template(stack);
  const [fn] = Object.values(t.findResources('AWS::Lambda::Function'));
  const secretId: unknown = fn?.Properties.Environment.Variables.CLIENT_CREDENTIALS_SECRET;
  const statements: { Action: unknown; Resource: unknown }[] = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
  const readable = statements.filter((s) => JSON.stringify(s.Action) === JSON.stringify(READ)).flatMap((s) => [s.Resource].flat());
  return { t, secretId, readable };
}

describe('the client-credentials secret is addressed in the right account and readable in every form', () => {
  it('passes a name as given and lets the role read name-?????? in the stack account', () => {
    const { secretId, readable } = deploy(() => 'phantom/introspection-client');
    expect(secretId).toBe('phantom/introspection-client');
    expect(readable).toEqual([
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, `:secretsmanager:eu-west-1:123456789012:secret:phantom/introspection-client-??????`],
        ],
      },
    ]);
  });

  it('passes a complete ARN as given; the role may read it (and ARN-?????? in case it was a partial one)', () => {
    const { secretId, readable } = deploy(() => `${ARN}:phantom/client-AbC123`);
    expect(secretId).toBe(`${ARN}:phantom/client-AbC123`);
    expect(readable).toEqual([`${ARN}:phantom/client-AbC123`, `${ARN}:phantom/client-AbC123-??????`]);
  });

  it('lets the role read the real secret behind a partial ARN whose name ends in "-" and six characters', () => {
    // The real secret's ARN is …:phantom-token/introspection-client-AbCdEf: the ARN alone would never match it.
    const given = `${OTHER_ACCOUNT_ARN}:phantom-token/introspection-client`;
    const { secretId, readable } = deploy(() => given);
    expect(secretId).toBe(given);
    expect(readable).toContain(`${given}-??????`);
    expect(readable).toContain(given);
    expect(readable).toHaveLength(2);
  });

  it('reads a partial ARN in another account by that ARN, and lets the role read ARN-??????', () => {
    const given = `${OTHER_ACCOUNT_ARN}:phantom/client_credentials`;
    const { secretId, readable } = deploy(() => given);
    expect(secretId).toBe(given);
    expect(readable).toEqual([`${given}-??????`]);
  });

  it('reads a partial ARN in the stack account and region by its name, which has no "-xxxxxx" trap', () => {
    const { secretId, readable } = deploy(() => `${ARN}:phantom/client_credentials`);
    expect(secretId).toBe('phantom/client_credentials');
    expect(readable).toEqual([`${ARN}:phantom/client_credentials-??????`]);
  });

  it('reads an ISecret from a complete ARN by that ARN, and the role may read exactly it', () => {
    const given = `${OTHER_ACCOUNT_ARN}:phantom/client-AbC123`;
    const { secretId, readable } = deploy((stack) => Secret.fromSecretCompleteArn(stack, 'Imported', given));
    expect(secretId).toBe(given);
    expect(readable).toEqual([given]);
  });

  it('reads an ISecret from a partial ARN in another account by that ARN, never by a bare name (which would read its own account)', () => {
    const given = `${OTHER_ACCOUNT_ARN}:phantom/introspection-client`;
    const { secretId, readable } = deploy((stack) => Secret.fromSecretPartialArn(stack, 'Imported', given));
    expect(secretId).toBe(given);
    expect(readable).toEqual([`${given}-??????`]);
  });

  it('reads an ISecret from a partial ARN in the stack account by its name', () => {
    const { secretId } = deploy((stack) => Secret.fromSecretPartialArn(stack, 'Imported', `${ARN}:phantom/introspection-client`));
    expect(secretId).toBe('phantom/introspection-client');
  });

  it('reads an ISecret imported by name by that name', () => {
    const { secretId, readable } = deploy((stack) => Secret.fromSecretNameV2(stack, 'Imported', 'phantom/introspection-client'));
    expect(secretId).toBe('phantom/introspection-client');
    expect(JSON.stringify(readable)).toContain(':secret:phantom/introspection-client-??????');
  });

  it('reads a secret created in the stack by its ARN, and the role may read exactly it', () => {
    const { t, secretId, readable } = deploy((stack) => new Secret(stack, 'Created'));
    const [logicalId] = Object.keys(t.findResources('AWS::SecretsManager::Secret'));
    expect(secretId).toEqual({ Ref: logicalId });
    expect(readable).toEqual([{ Ref: logicalId }]);
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: READ, Resource: { Ref: logicalId } })]) },
    });
  });
});

describe('the client-credentials secret props', () => {
  it.each([
    [{}, 'none'],
    [
      { clientCredentialsSecretName: 'a', clientCredentialsSecretArn: `${ARN}:a` },
      'clientCredentialsSecretName and clientCredentialsSecretArn',
    ],
  ])('require exactly one of the three, naming them and what was received (%j)', (props, received) => {
    const stack = unbundledStack();
    const base = { introspectionEndpoint: 'https://login.example.com/introspect', ...props };
    expect(() => new PhantomTokenAuthorizer(stack, 'PhantomToken', base)).toThrow(
      `exactly one of clientCredentialsSecret (an ISecret), clientCredentialsSecretName and clientCredentialsSecretArn is required; received ${received}`,
    );
  });

  it('refuse an ARN as clientCredentialsSecretName, naming the prop to use', () => {
    const value = `${ARN}:phantom/client`;
    expect(() => authorizerIn(unbundledStack(), { clientCredentialsSecretName: value })).toThrow(
      'clientCredentialsSecretName must be a secret name, 1 to 512 ASCII letters, digits and /_+=.@- (an ARN goes in clientCredentialsSecretArn); ' +
        `received ${value.length} characters that are not (not shown: the value may be the secret itself)`,
    );
  });

  it('refuse a name as clientCredentialsSecretArn, naming the form', () => {
    expect(() => authorizerIn(unbundledStack(), { clientCredentialsSecretArn: 'phantom/client' })).toThrow(
      'clientCredentialsSecretArn must be a Secrets Manager secret ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:<name>); ' +
        'received 14 characters that are not (not shown: the value may be the secret itself)',
    );
  });

  it('refuse the secret itself pasted as its name without showing it, as the function would at cold start', () => {
    const pasted = '{"client_id":"gateway","client_secret":"s3cr3t-value"}';
    expect(() => authorizerIn(unbundledStack(), { clientCredentialsSecretName: pasted })).toThrow(/received 54 characters that are not/);
    expect(() => authorizerIn(unbundledStack(), { clientCredentialsSecretName: pasted })).not.toThrow(/s3cr3t/);
  });

  it('take an unresolved name as a name, never as an ARN', () => {
    const stack = unbundledStack();
    const name = new CfnParameter(stack, 'SecretName').valueAsString;
    authorizerIn(stack, { clientCredentialsSecretName: name });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CLIENT_CREDENTIALS_SECRET: { Ref: 'SecretName' } }) },
    });
  });
});
