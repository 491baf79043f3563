import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { AuthorizerMetricSource, DecisionMetrics } from './decision-metrics.js';

/**
 * Thresholds of the alarms `PhantomTokenAuthorizer` creates. Every alarm looks at one-minute
 * periods and goes off when its threshold is reached in `evaluationMinutes` consecutive minutes;
 * a minute without data is not breaching (an idle API is not an incident).
 */
export interface PhantomTokenAlarmThresholds {
  /**
   * Error decisions (500s: the identity server or Secrets Manager unreachable, slow or answering
   * garbage, credentials rejected) per minute. One timeout is a blip; five a minute for three
   * minutes is an identity server in trouble.
   * @default 5
   */
  readonly errorDecisionsPerMinute?: number;

  /**
   * The function's `Errors` per minute (Lambda's metric): every error decision, and what writes no
   * decision line at all (a timeout, a crash, out of memory).
   * @default 5
   */
  readonly functionErrorsPerMinute?: number;

  /**
   * The function's `Throttles` per minute: each one is a 500 for a client, and means the account's
   * or the function's concurrency is spent.
   * @default 1
   */
  readonly throttlesPerMinute?: number;

  /**
   * The p99 of the decision latency (`totalMs`) over a minute. A cache hit takes microseconds and a
   * miss one introspection round trip (tens of milliseconds to a healthy identity server); a p99
   * over a second means one client request in a hundred waits that long for the identity server,
   * well before the 3-second introspection deadline turns waits into 500s.
   * @default Duration.seconds(1)
   */
  readonly decisionLatencyP99?: Duration;

  /**
   * Denies of tokens that are not good (inactive, malformed, not Bearer, too long) per minute: a
   * client spraying junk or stolen-and-revoked tokens. Legitimate clients refresh expired tokens
   * and rarely reach this.
   * @default 100
   */
  readonly invalidTokenDeniesPerMinute?: number;

  /**
   * How many consecutive minutes a threshold must be reached before the alarm goes off, 1 to 60.
   * @default 3
   */
  readonly evaluationMinutes?: number;
}

/** The defaults of `PhantomTokenAlarmThresholds`, in one place for the construct and its documentation. */
export const ALARM_DEFAULTS = {
  errorDecisionsPerMinute: 5,
  functionErrorsPerMinute: 5,
  throttlesPerMinute: 1,
  decisionLatencyP99Ms: 1_000,
  invalidTokenDeniesPerMinute: 100,
  evaluationMinutes: 3,
} as const;

/** The alarms on the function's decisions and on the function itself. */
export class AuthorizerAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    metrics: DecisionMetrics,
    source: AuthorizerMetricSource,
    fn: IFunction,
    thresholds: PhantomTokenAlarmThresholds = {},
    action?: IAlarmAction,
  ) {
    super(scope, id);
    const minutes = thresholds.evaluationMinutes ?? ALARM_DEFAULTS.evaluationMinutes;
    const minute = Duration.minutes(1);
    const add = (name: string, metric: IMetric, threshold: number, description: string) => {
      const alarm = new Alarm(this, name, {
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: minutes,
        datapointsToAlarm: minutes,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `${description} (${metrics.service}; ${minutes} consecutive minutes at or over ${threshold})`,
      });
      if (action !== undefined) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.alarms.push(alarm);
    };
    add(
      'IdentityServerErrors',
      source.metricErrors({ label: 'Error decisions' }),
      thresholds.errorDecisionsPerMinute ?? ALARM_DEFAULTS.errorDecisionsPerMinute,
      'Phantom token authorizer: error decisions per minute (identity server, JWKS or Secrets Manager failing)',
    );
    add(
      'FunctionErrors',
      fn.metricErrors({ period: minute, statistic: 'Sum' }),
      thresholds.functionErrorsPerMinute ?? ALARM_DEFAULTS.functionErrorsPerMinute,
      'Phantom token authorizer: function errors per minute (error decisions, timeouts, crashes)',
    );
    add(
      'Throttles',
      fn.metricThrottles({ period: minute, statistic: 'Sum' }),
      thresholds.throttlesPerMinute ?? ALARM_DEFAULTS.throttlesPerMinute,
      'Phantom token authorizer: throttled invocations per minute (each one a 500)',
    );
    add(
      'DecisionLatencyP99',
      source.metricLatency({ label: 'Decision latency p99' }),
      thresholds.decisionLatencyP99?.toMilliseconds() ?? ALARM_DEFAULTS.decisionLatencyP99Ms,
      'Phantom token authorizer: p99 decision latency in milliseconds',
    );
    add(
      'InvalidTokenSpike',
      metrics.invalidTokenDenies(),
      thresholds.invalidTokenDeniesPerMinute ?? ALARM_DEFAULTS.invalidTokenDeniesPerMinute,
      'Phantom token authorizer: invalid-token denies per minute (token spraying)',
    );
  }
}
