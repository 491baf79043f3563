import { Match } from 'aws-cdk-lib/assertions';
import { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { describe, expect, it } from 'vitest';
import { SAMPLE_API_AUDIENCE, SampleStack } from '../../bin/sample-stack.js';
import { DEFAULT_RESOURCE } from '../../local/oauth-server.js';
import { authorizerIn, template, unbundledApp, unbundledStack } from './stacks.js';

describe('audience prop', () => {
  it('hands the function its audience as AUDIENCE', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { audience: 'https://orders.example.com' });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUDIENCE: 'https://orders.example.com' }) },
    });
  });

  it('sets no AUDIENCE without the prop', () => {
    const stack = unbundledStack();
    authorizerIn(stack);
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUDIENCE: Match.absent() }) },
    });
  });

  it.each(['', ' https://orders.example.com', 'https://orders.example.com\n'])(
    'refuses the audience %j, naming the prop and the value',
    (audience) => {
      expect(() => authorizerIn(unbundledStack(), { audience })).toThrow(
        `audience must be a non-empty string without surrounding whitespace; received ${JSON.stringify(audience)}`,
      );
    },
  );

  it('the sample app requires the audience the local OAuth server issues tokens for', () => {
    expect(SAMPLE_API_AUDIENCE).toBe(DEFAULT_RESOURCE);
    const app = unbundledApp();
    const stack = new SampleStack(app, 'Sample', {
      introspectionEndpoint: 'https://login.example.com/introspect',
      clientCredentialsSecret: 'phantom/client',
      backendJwksUri: 'https://login.example.com/jwks',
      backendIssuer: 'https://login.example.com',
      env: { account: '123456789012', region: 'eu-west-1' },
    });
    template(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUDIENCE: SAMPLE_API_AUDIENCE }) },
    });
  });
});

describe('apiAudiences prop', () => {
  it('hands the function each API id with its audience as API_AUDIENCES, the id resolved by CloudFormation', () => {
    const stack = unbundledStack();
    const orders = new HttpApi(stack, 'Orders');
    const payments = new RestApi(stack, 'Payments');
    payments.root.addMethod('GET');
    authorizerIn(stack, {
      audience: 'default',
      apiAudiences: { [orders.apiId]: 'https://orders.example.com', [payments.restApiId]: 'https://payments.example.com' },
    });
    const variables = template(stack).findResources('AWS::Lambda::Function');
    const value = JSON.stringify(Object.values(variables)[0]?.Properties.Environment.Variables.API_AUDIENCES);
    expect(value).toContain('"Fn::Join"');
    expect(value).toMatch(/\{"Ref":"Orders[0-9A-F]{8}"\}/);
    expect(value).toMatch(/\{"Ref":"Payments[0-9A-F]{8}"\}/);
    expect(value).toContain('https://orders.example.com');
    expect(value).toContain('https://payments.example.com');
  });

  it.each(['', ' padded'])('refuses the audience %j, naming the prop and the value', (audience) => {
    expect(() => authorizerIn(unbundledStack(), { apiAudiences: { abc123: audience } })).toThrow(
      `apiAudiences values must be non-empty strings without surrounding whitespace; received ${JSON.stringify(audience)}`,
    );
  });
});
