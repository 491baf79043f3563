import { describe, expect, it } from 'vitest';
import { EmfFormatter } from '../../lambda/observability/emf.js';
import { MetricsSummary } from '../../local/metrics-summary.js';

describe('the local metrics summary', () => {
  it("sums up an interval's EMF lines as CloudWatch would read them, then starts afresh", () => {
    const emf = new EmfFormatter({ namespace: 'PhantomToken', service: 'Local/PhantomToken' });
    const summary = new MetricsSummary();
    const lines = [
      emf.decision({ outcome: 'allow', reason: 'ok', cache: 'miss', introspectionMs: 4, totalMs: 5 }),
      emf.decision({ outcome: 'allow', reason: 'ok', cache: 'hit', totalMs: 0.004 }),
      emf.decision({ outcome: 'allow', reason: 'ok', cache: 'hit', totalMs: 0.006 }),
      emf.decision({ outcome: 'deny', reason: 'inactive', cache: 'negative', totalMs: 0.01 }),
      emf.decision({ outcome: 'deny', reason: 'malformed', totalMs: 0.002 }),
      emf.decision({ outcome: 'error', reason: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE', totalMs: 3000 }),
      emf.warning({ warning: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE', message: 'could not read secret s' }),
      '{"outcome":"deny","_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["x"]],"Metrics":[{"Name":"y"}]}]}}',
      'START RequestId: not JSON',
      '{"method":"GET","path":"/echo"}',
    ];
    for (const line of lines) summary.observe(line);
    const first = summary.take() as string;
    expect(first.split(' · ')).toEqual([
      'decisions 6 (allow 3, deny 2, error 1)',
      'reasons: inactive 1, malformed 1, ERR_CLIENT_CREDENTIALS_UNAVAILABLE 1',
      'cache hit 50 % (hit 2, miss 1, negative 1)',
      'decision p50 0.006 ms, p99 3000.0 ms',
      'introspection p50 4.0 ms, p99 4.0 ms',
      // The first decision line of this test process carries the cold start.
      'cold starts 1',
      'secret read failures 2',
      'INVALID EMF lines 1',
    ]);
    expect(summary.take()).toBeUndefined();
    summary.observe(emf.decision({ outcome: 'deny', reason: 'not_bearer', totalMs: 0.001 }));
    expect(summary.take()).toBe('decisions 1 (allow 0, deny 1, error 0) · reasons: not_bearer 1 · decision p50 0.001 ms, p99 0.001 ms');
  });
});
