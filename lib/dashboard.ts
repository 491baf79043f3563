import { Duration } from 'aws-cdk-lib';
import { Dashboard, GraphWidget, type IMetric, LogQueryWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { CACHE_OUTCOMES, DENY_REASONS, OUTCOMES } from '../lambda/observability/metrics-contract.js';
import type { AuthorizerMetricSource, DecisionMetrics } from './decision-metrics.js';

/**
 * The authorizer's dashboard: decisions by outcome, deny reasons, cache hit ratio, latencies,
 * identity-server errors and the function's own metrics; access-log widgets are added per stage.
 */
export function createAuthorizerDashboard(
  scope: Construct,
  metrics: DecisionMetrics,
  source: AuthorizerMetricSource,
  fn: IFunction,
): Dashboard {
  const minute = { period: Duration.minutes(1) };
  const graph = (title: string, left: IMetric[], extra: object = {}) => new GraphWidget({ title, left, width: 12, height: 6, ...extra });
  const dashboard = new Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
  dashboard.addWidgets(
    graph(
      'Decisions by outcome (per minute)',
      OUTCOMES.map((outcome) => source.metricDecisions(outcome, { label: outcome })),
    ),
    graph(
      'Deny reasons (per minute)',
      Object.keys(DENY_REASONS).map((reason) => source.metricDenies(reason, { label: reason })),
      { stacked: true },
    ),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Function cache: hit ratio and lookups (per minute)',
      left: [metrics.cacheHitRatio()],
      right: CACHE_OUTCOMES.map((cache) => metrics.decisions('cache', cache)),
      leftYAxis: { min: 0, max: 100, label: '%', showUnits: false },
      width: 12,
      height: 6,
    }),
    graph('Latency (ms)', [
      source.metricLatency({ statistic: 'p50', label: 'Decision p50' }),
      source.metricLatency({ label: 'Decision p99' }),
      source.metricIntrospectionLatency({ statistic: 'p50', label: 'Introspection p50' }),
      source.metricIntrospectionLatency({ label: 'Introspection p99' }),
    ]),
  );
  dashboard.addWidgets(
    graph('Identity-server and other errors (per minute)', [
      ...metrics.errorReasons(),
      source.metricSecretReadFailures({ label: 'Secret read failures' }),
    ]),
    new GraphWidget({
      title: 'Function: duration, errors, throttles, concurrency, cold starts',
      left: [
        fn.metricDuration({ ...minute, statistic: 'p50', label: 'Duration p50' }),
        fn.metricDuration({ ...minute, statistic: 'p99', label: 'Duration p99' }),
      ],
      right: [
        fn.metricErrors({ ...minute, statistic: 'Sum', label: 'Errors' }),
        fn.metricThrottles({ ...minute, statistic: 'Sum', label: 'Throttles' }),
        fn.metric('ConcurrentExecutions', { ...minute, statistic: 'Maximum', label: 'Concurrent executions' }),
        source.metricColdStarts({ label: 'Cold starts' }),
      ],
      width: 24,
      height: 6,
    }),
  );
  return dashboard;
}

/**
 * Widgets over an API stage's access log written in `PhantomTokenAccessLogFormat`: requests
 * by status and authorizer error, and (REST) the authorizer's own status and latency.
 */
export function addAccessLogWidgets(dashboard: Dashboard, logGroup: ILogGroup, title: string): void {
  dashboard.addWidgets(
    new LogQueryWidget({
      title: `${title}: requests by status and authorizer error`,
      logGroupNames: [logGroup.logGroupName],
      queryLines: [
        'fields status, authorizerError',
        'stats count(*) as requests by status, authorizerError',
        'sort requests desc',
        'limit 20',
      ],
      width: 12,
      height: 6,
    }),
    new LogQueryWidget({
      title: `${title}: authorizer status and latency (REST stages)`,
      logGroupNames: [logGroup.logGroupName],
      queryLines: [
        'filter ispresent(authorizerStatus) and authorizerStatus != "-"',
        'stats count(*) as requests, pct(authorizerLatency, 50) as p50, pct(authorizerLatency, 99) as p99 by authorizerStatus',
      ],
      width: 12,
      height: 6,
    }),
  );
}
