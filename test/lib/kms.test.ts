import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { authorizerIn, template, unbundledStack } from './stacks.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client-AbC123';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function deploy(form: (stack: Stack) => ISecret) {
  const stack = unbundledStack();
  authorizerIn(stack, { clientCredentialsSecret: form(stack) });
  const t = template(stack);
  const statements: { Action: unknown }[] = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement,
  );
  const decrypts = statements.filter((s) => JSON.stringify(s.Action).includes('kms:'));
  return { t, decrypts };
}

describe('the function may decrypt its secret with a customer-managed key, through Secrets Manager only', () => {
  it('grants kms:Decrypt on an imported key to its role, for this secret through Secrets Manager in its region', () => {
    const { decrypts } = deploy((stack) =>
      Secret.fromSecretAttributes(stack, 'S', { secretCompleteArn: SECRET_ARN, encryptionKey: Key.fromKeyArn(stack, 'K', KEY_ARN) }),
    );
    expect(decrypts).toEqual([
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: KEY_ARN,
        Condition: {
          StringEquals: {
            'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com',
            'kms:EncryptionContext:SecretARN': SECRET_ARN,
          },
        },
      },
    ]);
  });

  it('matches the encryption context of a secret imported by partial ARN with its random suffix', () => {
    const partial = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:phantom/client';
    const { decrypts } = deploy((stack) =>
      Secret.fromSecretAttributes(stack, 'S', { secretPartialArn: partial, encryptionKey: Key.fromKeyArn(stack, 'K', KEY_ARN) }),
    );
    expect(decrypts).toEqual([
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: KEY_ARN,
        Condition: {
          StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' },
          StringLike: { 'kms:EncryptionContext:SecretARN': `${partial}-??????` },
        },
      },
    ]);
  });

  it('leaves a key created in the stack to its key policy, with no second grant on the role', () => {
    const { t, decrypts } = deploy((stack) =>
      Secret.fromSecretAttributes(stack, 'S', { secretCompleteArn: SECRET_ARN, encryptionKey: new Key(stack, 'Key') }),
    );
    expect(decrypts).toEqual([]);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Principal: { AWS: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhantomTokenRole'), 'Arn'] } },
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
          }),
        ]),
      },
    });
  });

  it('grants no KMS access for a secret under the AWS-managed key', () => {
    expect(deploy((stack) => new Secret(stack, 'Created')).decrypts).toEqual([]);
    expect(deploy((stack) => Secret.fromSecretCompleteArn(stack, 'S', SECRET_ARN)).decrypts).toEqual([]);
  });
});
