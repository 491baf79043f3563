import { Match } from 'aws-cdk-lib/assertions';
import { Port, SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { templateAlarms } from '../support/template-metrics.js';
import { authorizerIn, template, unbundledStack } from './stacks.js';

describe('metric…() methods', () => {
  it('metricErrors() is the metric the IdentityServerErrors alarm watches: error decisions of this service, summed per minute', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { metricsNamespace: 'Auth', serviceName: 'orders-auth' });
    const metric = phantomToken.metricErrors();
    expect(metric).toMatchObject({
      namespace: 'Auth',
      metricName: 'Decisions',
      statistic: 'Sum',
      dimensions: { service: 'orders-auth', outcome: 'error' },
    });
    expect(metric.period.toSeconds()).toBe(60);
    expect(templateAlarms(template(stack)).find(({ id }) => id.includes('IdentityServerErrors'))?.metrics).toEqual([
      { namespace: 'Auth', name: 'Decisions', dimensions: { service: 'orders-auth', outcome: 'error' }, stat: 'Sum' },
    ]);
  });

  it('metricLatency() is the p99 of totalMs the DecisionLatencyP99 alarm watches, and takes the usual MetricOptions', () => {
    const stack = unbundledStack();
    const phantomToken = authorizerIn(stack, { serviceName: 'orders-auth' });
    expect(phantomToken.metricLatency()).toMatchObject({ metricName: 'totalMs', statistic: 'p99', dimensions: { service: 'orders-auth' } });
    expect(phantomToken.metricLatency({ statistic: 'p50' }).statistic).toBe('p50');
    expect(templateAlarms(template(stack)).find(({ id }) => id.includes('DecisionLatencyP99'))?.metrics).toEqual([
      { namespace: 'PhantomToken', name: 'totalMs', dimensions: { service: 'orders-auth' }, stat: 'p99' },
    ]);
  });

  it('metricDecisions(), metricDenies() and the others name the metrics of the decision lines', () => {
    const phantomToken = authorizerIn(unbundledStack(), { serviceName: 'svc' });
    expect(phantomToken.metricDecisions('deny').dimensions).toEqual({ service: 'svc', outcome: 'deny' });
    expect(phantomToken.metricDenies('wrong_audience').dimensions).toEqual({ service: 'svc', reason: 'wrong_audience' });
    expect(phantomToken.metricIntrospectionLatency().metricName).toBe('introspectionMs');
    expect(phantomToken.metricColdStarts().metricName).toBe('ColdStart');
    expect(phantomToken.metricSecretReadFailures().metricName).toBe('SecretReadFailures');
    expect(phantomToken.metricSharedCache('unavailable').dimensions).toEqual({ service: 'svc', sharedCache: 'unavailable' });
    expect(phantomToken.metricSharedCacheLatency()).toMatchObject({ metricName: 'sharedCacheMs', statistic: 'p99' });
    expect(() => phantomToken.metricSharedCache('down')).toThrow(
      'metricSharedCache: outcome must be one of hit, negative, revoked, miss, invalid, unavailable, joined; received "down"',
    );
    expect(phantomToken.metric('Decisions', { dimensionsMap: { service: 'svc', cache: 'hit' } })).toMatchObject({
      metricName: 'Decisions',
      statistic: 'Sum',
      dimensions: { service: 'svc', cache: 'hit' },
    });
  });

  it('refuses an outcome or reason the function never writes, naming the method, the values and the one received', () => {
    const phantomToken = authorizerIn(unbundledStack());
    expect(() => phantomToken.metricDecisions('denied')).toThrow(
      'metricDecisions: outcome must be one of allow, deny, error; received "denied"',
    );
    expect(() => phantomToken.metricDenies('expired')).toThrow(/^metricDenies: reason must be one of missing, .* received "expired"$/);
  });
});

describe('IConnectable', () => {
  it("exposes the function's connections in a VPC, so the identity server's security group can let it in", () => {
    const stack = unbundledStack();
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
    const phantomToken = authorizerIn(stack, { vpc });
    const identityServer = new SecurityGroup(stack, 'IdentityServer', { vpc });
    identityServer.connections.allowFrom(phantomToken, Port.tcp(443));
    expect(phantomToken.connections).toBe(phantomToken.function.connections);
    template(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IdentityServer'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhantomTokenFunctionSecurityGroup'), 'GroupId'] },
    });
  });

  it('throws outside a VPC, as Lambda does', () => {
    expect(() => authorizerIn(unbundledStack()).connections).toThrow(/security groups/i);
  });
});
