import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { createSampleApp } from '../../bin/sample-app.js';
import { DENY_REASONS } from '../../lambda/observability/metrics-contract.js';
import { PhantomTokenAccessLogFormat, type PhantomTokenAuthorizerProps } from '../../lib/index.js';
import { templateAlarms } from '../support/template-metrics.js';
import { authorizerIn, template, unbundledStack } from './stacks.js';

function functionEnvironment(props: Partial<PhantomTokenAuthorizerProps> = {}): Record<string, unknown> {
  const stack = unbundledStack();
  authorizerIn(stack, props);
  const [fn] = Object.values(template(stack).findResources('AWS::Lambda::Function')) as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  }[];
  return fn?.Properties.Environment.Variables ?? {};
}

function alarms(props: Partial<PhantomTokenAuthorizerProps> = {}) {
  const stack = unbundledStack();
  authorizerIn(stack, props);
  return template(stack).findResources('AWS::CloudWatch::Alarm') as Record<string, { Properties: Record<string, unknown> }>;
}

describe('metrics settings', () => {
  it('hands the function its namespace and service: PhantomToken and the construct path by default', () => {
    expect(functionEnvironment()).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: 'PhantomToken',
      POWERTOOLS_SERVICE_NAME: 'Test/PhantomToken',
    });
    expect(functionEnvironment({ metricsNamespace: 'Team/Auth', serviceName: 'orders' })).toMatchObject({
      POWERTOOLS_METRICS_NAMESPACE: 'Team/Auth',
      POWERTOOLS_SERVICE_NAME: 'orders',
    });
  });
});

describe('alarms', () => {
  it('are on by default: identity-server errors, function errors, throttles, p99 latency and invalid-token spikes, over 3 minutes', () => {
    const stack = unbundledStack();
    authorizerIn(stack);
    const found = Object.values(alarms()).map((alarm) => alarm.Properties);
    expect(found).toHaveLength(5);
    for (const alarm of found) {
      expect(alarm).toMatchObject({
        EvaluationPeriods: 3,
        DatapointsToAlarm: 3,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm.AlarmActions).toBeUndefined();
    }
    const read = templateAlarms(template(stack)).map(({ threshold, expression, metrics }) => ({
      threshold,
      expression,
      metrics: metrics.map(({ namespace, name, dimensions, stat }) => `${namespace} ${name} ${JSON.stringify(dimensions)} ${stat}`),
    }));
    const service = '"service":"Test/PhantomToken"';
    const invalidTokenReasons = Object.entries(DENY_REASONS)
      .filter(([, kind]) => kind === 'invalid_token')
      .map(([reason]) => reason);
    expect(invalidTokenReasons).toEqual(expect.arrayContaining(['missing', 'not_bearer', 'malformed', 'too_long', 'inactive']));
    // Every deny is an invalid token but the three that say the token cannot be used here (scopes,
    // a route or method the function does not know), so "deny - those" counts them with 4 metrics,
    // whatever their number (a metric-math alarm may reference 10 at most).
    expect(Object.keys(DENY_REASONS).filter((reason) => !invalidTokenReasons.includes(reason))).toEqual([
      'insufficient_scope',
      'unknown_route',
      'unknown_method',
    ]);
    expect(invalidTokenReasons.length).toBeGreaterThan(10);
    for (const alarm of templateAlarms(template(stack))) expect(alarm.metrics.length).toBeLessThanOrEqual(10);
    expect(read).toEqual([
      { threshold: 5, expression: undefined, metrics: [`PhantomToken Decisions {"outcome":"error",${service}} Sum`] },
      { threshold: 5, expression: undefined, metrics: ['AWS/Lambda Errors {"FunctionName":"<token>"} Sum'] },
      { threshold: 1, expression: undefined, metrics: ['AWS/Lambda Throttles {"FunctionName":"<token>"} Sum'] },
      { threshold: 1000, expression: undefined, metrics: [`PhantomToken totalMs {${service}} p99`] },
      {
        threshold: 100,
        expression: 'FILL(deny, 0) - FILL(m0, 0) - FILL(m1, 0) - FILL(m2, 0)',
        metrics: [
          `PhantomToken Decisions {"outcome":"deny",${service}} Sum`,
          `PhantomToken Decisions {"reason":"insufficient_scope",${service}} Sum`,
          `PhantomToken Decisions {"reason":"unknown_route",${service}} Sum`,
          `PhantomToken Decisions {"reason":"unknown_method",${service}} Sum`,
        ],
      },
    ]);
  });

  it('take thresholds and an alarm action, which they call on alarm and on recovery', () => {
    const stack = unbundledStack();
    const topic = new Topic(stack, 'OnCall');
    authorizerIn(stack, {
      alarmAction: new SnsAction(topic),
      alarmThresholds: {
        errorDecisionsPerMinute: 2,
        functionErrorsPerMinute: 3,
        throttlesPerMinute: 4,
        decisionLatencyP99: Duration.millis(250),
        invalidTokenDeniesPerMinute: 50,
        evaluationMinutes: 5,
      },
    });
    const found = Object.values(template(stack).findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    expect(found.map((alarm) => alarm.Threshold)).toEqual([2, 3, 4, 250, 50]);
    for (const alarm of found) {
      expect(alarm).toMatchObject({ EvaluationPeriods: 5, DatapointsToAlarm: 5 });
      expect(alarm.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^OnCall/) }]);
      expect(alarm.OKActions).toEqual([{ Ref: expect.stringMatching(/^OnCall/) }]);
    }
  });

  it('can be switched off', () => {
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack, { alarms: false });
    template(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(authorizer.alarms).toEqual([]);
  });
});

describe('the dashboard', () => {
  it('is off by default, and on request shows decisions, deny reasons, cache, latency, errors and the function', () => {
    const off = unbundledStack();
    authorizerIn(off);
    template(off).resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack, { dashboard: true });
    template(stack).resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(template(stack).findResources('AWS::CloudWatch::Dashboard'));
    for (const title of ['Decisions by outcome', 'Deny reasons', 'hit ratio', 'Latency', 'Identity-server', 'concurrency, cold starts']) {
      expect(body).toContain(title);
    }
    expect(authorizer.dashboard).toBeDefined();
  });

  it('adds widgets over a stage access log, and refuses to without a dashboard', () => {
    const stack = unbundledStack();
    const authorizer = authorizerIn(stack, { dashboard: true });
    authorizer.addDashboardAccessLogs(new LogGroup(stack, 'Access'), 'HTTP API');
    expect(JSON.stringify(template(stack).findResources('AWS::CloudWatch::Dashboard'))).toContain(
      'HTTP API: requests by status and authorizer error',
    );
    const without = authorizerIn(unbundledStack());
    expect(() => without.addDashboardAccessLogs(new LogGroup(stack, 'Other'), 'x')).toThrow(
      'addDashboardAccessLogs needs the dashboard: set dashboard: true',
    );
  });
});

describe('tracing', () => {
  it('is off by default; on, the function is actively traced and may write trace segments', () => {
    const off = unbundledStack();
    authorizerIn(off);
    expect(JSON.stringify(template(off).toJSON())).not.toContain('xray:');
    const stack = unbundledStack();
    authorizerIn(stack, { tracing: Tracing.ACTIVE });
    template(stack).hasResourceProperties('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } });
    template(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' })]),
      },
    });
  });
});

describe('access-log formats', () => {
  it('log the authorizer fields as JSON and never the JWT or the Authorization header', () => {
    const http = JSON.parse(PhantomTokenAccessLogFormat.httpApi().toString());
    const rest = JSON.parse(PhantomTokenAccessLogFormat.restApi().toString());
    expect(http).toMatchObject({
      requestId: '$context.requestId',
      authorizerError: '$context.authorizer.error',
      routeKey: '$context.routeKey',
    });
    expect(rest).toMatchObject({
      authorizerError: '$context.authorizer.error',
      authorizerLatency: '$context.authorizer.latency',
      authorizerStatus: '$context.authorizer.status',
      authorizerIntegrationLatency: '$context.authorizer.integrationLatency',
      principalId: '$context.authorizer.principalId',
    });
    for (const format of [http, rest]) {
      expect(Object.values(format).filter((value) => /authorizer\.(jwt|authorization)\b/.test(value as string))).toEqual([]);
    }
  });
});

describe('validation of the operations props', () => {
  const build = (props: Partial<PhantomTokenAuthorizerProps>, id?: string) => () => authorizerIn(unbundledStack(), props, id);
  it.each<[string, Partial<PhantomTokenAuthorizerProps>, string]>([
    [
      'an AWS/ namespace',
      { metricsNamespace: 'AWS/Lambda' },
      'metricsNamespace must be 1 to 255 printable ASCII characters, not starting with ":" or "AWS/"; received "AWS/Lambda"',
    ],
    [
      'an empty namespace',
      { metricsNamespace: '' },
      'metricsNamespace must be 1 to 255 printable ASCII characters, not starting with ":" or "AWS/"; received ""',
    ],
    [
      'a blank service name',
      { serviceName: '  ' },
      'serviceName must be 1 to 255 printable ASCII characters, not only spaces; received "  "',
    ],
    [
      'thresholds with alarms off',
      { alarms: false, alarmThresholds: {} },
      "alarmThresholds applies only to the construct's alarms: remove it or set alarms: true; received both",
    ],
    [
      'an action with alarms off',
      { alarms: false, alarmAction: { bind: () => ({ alarmActionArn: 'arn' }) } },
      "alarmAction applies only to the construct's alarms: remove it or set alarms: true; received both",
    ],
    [
      'a zero threshold',
      { alarmThresholds: { errorDecisionsPerMinute: 0 } },
      'alarmThresholds.errorDecisionsPerMinute must be a whole number from 1 to 1000000 per minute; received 0',
    ],
    [
      'a fractional threshold',
      { alarmThresholds: { invalidTokenDeniesPerMinute: 2.5 } },
      'alarmThresholds.invalidTokenDeniesPerMinute must be a whole number from 1 to 1000000 per minute; received 2.5',
    ],
    [
      '61 evaluation minutes',
      { alarmThresholds: { evaluationMinutes: 61 } },
      'alarmThresholds.evaluationMinutes must be a whole number from 1 to 60 minutes; received 61',
    ],
    [
      'a latency over 10 s',
      { alarmThresholds: { decisionLatencyP99: Duration.seconds(11) } },
      'alarmThresholds.decisionLatencyP99 must be a whole number of milliseconds from 1 to 10000; received 11 seconds',
    ],
  ])('refuses %s', (_, props, message) => {
    expect(build(props)).toThrow(message);
  });

  it('refuses a default service name the construct path cannot be, naming the prop to set', () => {
    expect(build({}, 'Ünïcode')).toThrow(
      'serviceName defaults to the construct\'s path, which is not 1 to 255 printable ASCII characters: set serviceName; received "Test/Ünïcode"',
    );
    expect(build({ serviceName: 'orders' }, 'Ünïcode')).not.toThrow();
  });
});

describe('the sample app', () => {
  it("has the dashboard with both stages' access logs, which log the authorizer fields, and the alarms", () => {
    const { stack } = createSampleApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } }));
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    const body = JSON.stringify(t.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('HTTP API: requests by status and authorizer error');
    expect(body).toContain('REST API: authorizer status and latency');
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { Format: PhantomTokenAccessLogFormat.httpApi().toString() },
    });
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { Format: PhantomTokenAccessLogFormat.restApi().toString() },
    });
  });
});
