import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionLog } from '../../lambda/observability/decision-log.js';
import { metricsSettings } from '../../lambda/observability/emf.js';
import { CACHE_OUTCOMES, METRIC_REASONS, OUTCOMES } from '../../lambda/observability/metrics-contract.js';
import { SENDER_CONSTRAINT_DENY_REASONS } from '../../lambda/sender-constraints/reasons.js';
import { extractMetrics } from '../../local/emf-validator.js';
import { type FaultServer, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { emfLines } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';
import { dashboardMetrics, type TemplateMetric, templateAlarms } from '../support/template-metrics.js';
import { authorizerIn, template, unbundledStack } from './stacks.js';

// One test reads both sides: the metrics the construct's alarms and dashboard watch, from the
// synthesized template, and the metrics the function writes, from the EMF lines of a real
// authorizer configured with the environment that template gives the function.

let peers: Peers;
let faults: FaultServer;
beforeAll(async () => {
  peers = await startPeers();
  faults = await startFaultServer();
});
afterAll(async () => {
  await peers.close();
  await faults.close();
});

const identity = ({ name, dimensions }: { name: string; dimensions: Readonly<Record<string, string>> }) =>
  `${name} ${JSON.stringify(Object.fromEntries(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))))}`;

describe('the construct watches the metrics the function writes', () => {
  it('reads, in its alarms and dashboard, exactly the metric names, namespace and dimensions of the decision lines', async () => {
    const stack = unbundledStack();
    authorizerIn(stack, { dashboard: true, metricsNamespace: 'Orders/Auth' });
    const synthesized = template(stack);
    const [fn] = Object.values(synthesized.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment: { Variables: Record<string, string> } };
    }[];
    const variables = fn?.Properties.Environment.Variables ?? {};
    const metricsEnv = {
      POWERTOOLS_METRICS_NAMESPACE: variables.POWERTOOLS_METRICS_NAMESPACE as string,
      POWERTOOLS_SERVICE_NAME: variables.POWERTOOLS_SERVICE_NAME as string,
    };
    expect(metricsEnv).toEqual({ POWERTOOLS_METRICS_NAMESPACE: 'Orders/Auth', POWERTOOLS_SERVICE_NAME: 'Test/PhantomToken' });

    // Every kind of decision, each reason and each cache outcome, from authorizers with that environment.
    const before = (await emfLines()).length;
    const authorizer = peers.authorizer(metricsEnv);
    const read = await peers.token('read');
    await authorizer(httpApiEvent(`Bearer ${read}`)); // allow, miss (and this process's cold start)
    await authorizer(httpApiEvent(`Bearer ${read}`)); // allow, hit
    await authorizer(httpApiEvent(`Bearer ${read}`, 'POST /echo')); // insufficient_scope, hit
    await authorizer(httpApiEvent(`Bearer ${read}`, 'PURGE /echo')); // unknown_method, hit
    const table = join(mkdtempSync(join(tmpdir(), 'metrics-table-')), 'route-table.json');
    writeFileSync(table, JSON.stringify({ version: 1, routes: [] }));
    await peers.authorizer({ ...metricsEnv, ROUTE_SCOPES: '', ROUTE_TABLE_FILE: table })(httpApiEvent(`Bearer ${read}`)); // unknown_route
    await authorizer(httpApiEvent('Bearer not-a-token-the-server-issued')); // inactive, miss
    await authorizer(httpApiEvent('Bearer not-a-token-the-server-issued')); // inactive, negative
    await authorizer(httpApiEvent(undefined)); // missing
    await authorizer(httpApiEvent('Basic abc')); // not_bearer
    await authorizer(httpApiEvent('Bearer a b')); // malformed
    await authorizer(httpApiEvent(`Bearer ${'a'.repeat(4097)}`)); // too_long
    const failing = (env: Record<string, string>, event: unknown = httpApiEvent('Bearer some-token-value')) =>
      expect(peers.authorizer({ ...metricsEnv, ...env })(event)).rejects.toBeInstanceOf(Error);
    await failing({ INTROSPECTION_ENDPOINT: 'http://127.0.0.1:9/introspect' }); // ERR_INTROSPECTION_REQUEST_FAILED
    faults.mode = 'html';
    await failing({ INTROSPECTION_ENDPOINT: faults.url }); // ERR_INTROSPECTION_RESPONSE_INVALID
    faults.mode = 'invalid-client';
    await failing({ INTROSPECTION_ENDPOINT: faults.url }); // ERR_CLIENT_CREDENTIALS_REJECTED
    await failing({ CLIENT_CREDENTIALS_SECRET: 'phantom-token/no-such-secret' }); // ERR_CLIENT_CREDENTIALS_UNAVAILABLE, SecretReadFailures
    await failing({ INTROSPECTION_ENDPOINT: 'ftp://idp.example.com/' }); // ERR_CONFIGURATION_INVALID
    await failing({}, { type: 'TOKEN', authorizationToken: 'Bearer x' }); // ERR_EVENT_INVALID
    const unlistable = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new TypeError('headers cannot be listed');
        },
      },
    );
    await failing({}, { type: 'REQUEST', version: '2.0', routeKey: 'GET /echo', headers: unlistable }); // ERR_INTERNAL
    await peers.authorizer({ ...metricsEnv, AUDIENCE: 'https://another-api.example.com' })(httpApiEvent(`Bearer ${read}`)); // wrong_audience
    // The other sender-constraint denies and the replay store's error need DPoP proofs, client
    // certificates and DynamoDB (their own suites drive them: test/lambda/dpop*, test/moto); here
    // their lines come from the same writer the handler uses, with the same environment.
    const { writeDecisionLog } = decisionLog(metricsSettings(metricsEnv));
    for (const reason of SENDER_CONSTRAINT_DENY_REASONS.filter((reason) => reason !== 'wrong_audience')) {
      writeDecisionLog({ outcome: 'deny', reason, cache: 'hit' });
    }
    writeDecisionLog({ outcome: 'error', reason: 'ERR_REPLAY_STORE_UNAVAILABLE', cache: 'hit' });
    await new Promise((resolve) => setImmediate(resolve));

    const written = (await emfLines())
      .slice(before)
      .filter((line) => line.includes('"_aws"'))
      .flatMap((line) => extractMetrics(line));
    expect(new Set(written.map((metric) => metric.namespace))).toEqual(new Set(['Orders/Auth']));
    const emitted = new Set(written.map(identity));

    const watched: TemplateMetric[] = [...templateAlarms(synthesized).flatMap((alarm) => alarm.metrics), ...dashboardMetrics(synthesized)];
    const ours = watched.filter((metric) => metric.namespace !== 'AWS/Lambda');
    expect(new Set(ours.map((metric) => metric.namespace))).toEqual(new Set(['Orders/Auth']));
    // Both ways: nothing watched that is never written, nothing written that is not on the dashboard.
    expect([...new Set(ours.map(identity))].sort()).toEqual([...emitted].sort());
    // Counts are summed, timings read as percentiles.
    for (const metric of ours) {
      expect(metric.stat, identity(metric)).toMatch(metric.name.endsWith('Ms') ? /^p\d+$/ : /^Sum$/);
    }
    // By outcome, by each listed reason, by cache outcome; totalMs, introspectionMs, ColdStart, SecretReadFailures.
    expect(emitted.size).toBe(OUTCOMES.length + METRIC_REASONS.length + CACHE_OUTCOMES.length + 4);
  });
});
