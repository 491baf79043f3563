import { Duration } from 'aws-cdk-lib';
import { MathExpression, Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { IConstruct } from 'constructs';
import { DEFAULTS } from '../lambda/environment.js';
import { CACHE_OUTCOMES, DENY_REASONS, DIMENSIONS, ERROR_REASONS, METRICS } from '../lambda/observability/metrics-contract.js';
import type { PhantomTokenAuthorizerProps } from './props.js';

/**
 * The metrics of one construct's decision lines as its public `metric…()` methods return them; the
 * alarms and the dashboard read them there, so what they watch is what users get.
 */
export interface AuthorizerMetricSource {
  metricDecisions(outcome: string, props?: MetricOptions): Metric;
  metricDenies(reason: string, props?: MetricOptions): Metric;
  metricErrors(props?: MetricOptions): Metric;
  metricLatency(props?: MetricOptions): Metric;
  metricIntrospectionLatency(props?: MetricOptions): Metric;
  metricColdStarts(props?: MetricOptions): Metric;
  metricSecretReadFailures(props?: MetricOptions): Metric;
}

/** The namespace and `service` dimension of a construct's metrics: the props, else the defaults (the service: the construct's path). */
export function metricsTarget(scope: IConstruct, props: PhantomTokenAuthorizerProps): { namespace: string; service: string } {
  return { namespace: props.metricsNamespace ?? DEFAULTS.metricsNamespace, service: props.serviceName ?? scope.node.path };
}

/**
 * The metrics the function's decision lines carry, as CloudWatch `Metric`s for alarms and the
 * dashboard: names, dimensions and reasons all come from `lambda/observability/metrics-contract.ts`, the module
 * the function writes them from.
 */
export class DecisionMetrics {
  constructor(
    readonly namespace: string,
    readonly service: string,
  ) {}

  /** Any metric of the decision lines by its name, with the `service` dimension alone. */
  named(metricName: string, statistic: string): Metric {
    return this.metric(metricName, statistic, {});
  }

  /** Decisions (a count) with one of the `outcome`, `reason`, `cache` or `sharedCache` dimensions, per minute. */
  decisions(dimension: 'outcome' | 'reason' | 'cache' | 'sharedCache', value: string, label = value): Metric {
    return this.metric(METRICS.decisions, 'Sum', { [DIMENSIONS[dimension]]: value }, label);
  }

  /** A metric with the `service` dimension alone: `totalMs`, `introspectionMs`, `ColdStart`, `SecretReadFailures`. */
  perService(
    name: 'totalMs' | 'introspectionMs' | 'sharedCacheMs' | 'coldStart' | 'secretReadFailures',
    statistic: string,
    label?: string,
  ): Metric {
    return this.metric(METRICS[name], statistic, {}, label);
  }

  /**
   * Denies that say the token is not good, summed per minute: every deny less those whose reason
   * is not an invalid token (`insufficient_scope`). Subtracting the few keeps the alarm within
   * CloudWatch's hard limit of 10 metrics per metric-math alarm however many invalid-token reasons
   * there are (21 with the sender-constraint ones).
   */
  invalidTokenDenies(): MathExpression {
    const others = Object.entries(DENY_REASONS)
      .filter(([, kind]) => kind !== 'invalid_token')
      .map(([reason]) => this.decisions('reason', reason));
    const usingMetrics = Object.fromEntries([
      ['deny', this.decisions('outcome', 'deny')],
      ...others.map((metric, index) => [`m${index}`, metric]),
    ]);
    return new MathExpression({
      expression: Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' - '),
      usingMetrics,
      label: 'Invalid-token denies',
      period: Duration.minutes(1),
    });
  }

  /** Cache hits as a percentage of decisions that looked a token up. */
  cacheHitRatio(): MathExpression {
    const [hit, miss, negative] = CACHE_OUTCOMES.map((cache) => this.decisions('cache', cache));
    return new MathExpression({
      expression: '100 * FILL(hit, 0) / (FILL(hit, 0) + FILL(miss, 0) + FILL(negative, 0))',
      usingMetrics: { hit: hit as Metric, miss: miss as Metric, negative: negative as Metric },
      label: 'Cache hit ratio (%)',
      period: Duration.minutes(1),
    });
  }

  /** Every error reason's decisions, one line each. */
  errorReasons(): Metric[] {
    return ERROR_REASONS.map((reason) => this.decisions('reason', reason));
  }

  private metric(name: string, statistic: string, dimensions: Record<string, string>, label?: string): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { [DIMENSIONS.service]: this.service, ...dimensions },
      statistic,
      period: Duration.minutes(1),
      label,
    });
  }
}

/** The sum of some counts per period, a period without data counting as 0. */
export function sum(label: string, metrics: Metric[]): MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((metric, index) => [`m${index}`, metric]));
  return new MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    label,
    period: Duration.minutes(1),
  });
}
