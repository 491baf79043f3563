import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import { DEFAULTS } from '../../lambda/environment.js';
import * as errors from '../../lambda/errors.js';
import { decisionLog, writeDecisionLog } from '../../lambda/observability/decision-log.js';
import { EmfFormatter, metricsSettings } from '../../lambda/observability/emf.js';
import { DENY_REASONS, ERROR_REASONS, METRIC_REASONS } from '../../lambda/observability/metrics-contract.js';
import { emfProblems, extractMetrics } from '../../local/emf-validator.js';
import { httpApiEvent } from '../support/fixtures.js';
import { emfLines } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

let peers: Peers;
beforeAll(async () => {
  peers = await startPeers();
});
afterAll(async () => {
  await peers.close();
});

/** The EMF text of the last decision line written. */
async function lastRecord(): Promise<string> {
  return (await emfLines()).filter((line) => line.startsWith('{"outcome"')).at(-1) as string;
}

const settings = { namespace: 'Test/Phantom', service: 'orders-api' };

describe('decision lines as CloudWatch embedded metric format records', () => {
  it('carries ColdStart on the first decision line of the process only', async () => {
    const authorizer = peers.authorizer();
    await authorizer(httpApiEvent('Bearer a b'));
    await authorizer(httpApiEvent('Bearer a b'));
    const lines = (await emfLines()).filter((line) => line.startsWith('{"outcome"'));
    expect(lines.map((line) => 'ColdStart' in JSON.parse(line))).toEqual([true, false]);
    expect(extractMetrics(lines[0] as string).filter((metric) => metric.name === 'ColdStart')).toEqual([
      {
        namespace: DEFAULTS.metricsNamespace,
        name: 'ColdStart',
        unit: 'Count',
        dimensions: { service: DEFAULTS.serviceName },
        values: [1],
      },
    ]);
  });

  it('turns an allowed cache miss into Decisions by outcome and cache (no reason dimension for an allow), and totalMs and introspectionMs by service', async () => {
    const authorizer = peers.authorizer({ POWERTOOLS_METRICS_NAMESPACE: settings.namespace, POWERTOOLS_SERVICE_NAME: settings.service });
    await authorizer(httpApiEvent(`Bearer ${await peers.token('read')}`));
    const text = await lastRecord();
    expect(emfProblems(text)).toEqual([]);
    const line = JSON.parse(text);
    const service = { service: 'orders-api' };
    expect(extractMetrics(text)).toEqual([
      { namespace: 'Test/Phantom', name: 'Decisions', unit: 'Count', dimensions: { ...service, outcome: 'allow' }, values: [1] },
      { namespace: 'Test/Phantom', name: 'Decisions', unit: 'Count', dimensions: { ...service, cache: 'miss' }, values: [1] },
      { namespace: 'Test/Phantom', name: 'totalMs', unit: 'Milliseconds', dimensions: service, values: [line.totalMs] },
      { namespace: 'Test/Phantom', name: 'introspectionMs', unit: 'Milliseconds', dimensions: service, values: [line.introspectionMs] },
    ]);
    // The decision's own fields come first and keep their names: Logs Insights queries keep working.
    expect(Object.keys(line)).toEqual([
      ...['outcome', 'reason', 'routeKey', 'cache', 'introspectionMs', 'totalMs', 'tokenId'],
      ...['service', 'Decisions', '_aws'],
    ]);
  });

  it('counts a deny before any lookup without a cache dimension, and an error by its code', async () => {
    await peers.authorizer()(httpApiEvent('Basic abc'));
    const deny = extractMetrics(await lastRecord()).map((metric) => [metric.name, metric.dimensions]);
    expect(deny).toEqual([
      ['Decisions', { service: DEFAULTS.serviceName, outcome: 'deny' }],
      ['Decisions', { service: DEFAULTS.serviceName, reason: 'not_bearer' }],
      ['totalMs', { service: DEFAULTS.serviceName }],
    ]);
    const refused = peers.authorizer({ INTROSPECTION_ENDPOINT: 'http://127.0.0.1:9/introspect' });
    await expect(refused(httpApiEvent('Bearer refused-endpoint-token'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_REQUEST_FAILED',
    });
    const error = extractMetrics(await lastRecord()).map((metric) => [metric.name, metric.dimensions]);
    expect(error).toEqual([
      ['Decisions', { service: DEFAULTS.serviceName, outcome: 'error' }],
      ['Decisions', { service: DEFAULTS.serviceName, reason: 'ERR_INTROSPECTION_REQUEST_FAILED' }],
      ['Decisions', { service: DEFAULTS.serviceName, cache: 'miss' }],
      ['totalMs', { service: DEFAULTS.serviceName }],
    ]);
  });

  it('keeps a reason it does not list out of the dimensions, so no line can create an unbounded metric', () => {
    const text = new EmfFormatter(settings).decision({ outcome: 'deny', reason: 'a reason added without listing it', totalMs: 1 });
    expect(emfProblems(text)).toEqual([]);
    expect(extractMetrics(text).flatMap((metric) => Object.keys(metric.dimensions))).not.toContain('reason');
    expect(JSON.parse(text).reason).toBe('a reason added without listing it');
  });

  it('counts a memory miss by what the shared cache gave (sharedCache) and times its table read (sharedCacheMs)', () => {
    const text = new EmfFormatter(settings).decision({
      outcome: 'allow',
      reason: 'ok',
      cache: 'miss',
      sharedCache: 'unavailable',
      sharedCacheMs: 150.2,
      totalMs: 180,
    });
    expect(emfProblems(text)).toEqual([]);
    const metrics = extractMetrics(text);
    expect(metrics.filter((metric) => metric.name === 'Decisions').map((metric) => metric.dimensions)).toContainEqual({
      service: 'orders-api',
      sharedCache: 'unavailable',
    });
    expect(metrics.filter((metric) => metric.name === 'sharedCacheMs')).toEqual([
      { namespace: 'Test/Phantom', name: 'sharedCacheMs', unit: 'Milliseconds', dimensions: { service: 'orders-api' }, values: [150.2] },
    ]);
    const without = new EmfFormatter(settings).decision({ outcome: 'allow', reason: 'ok', cache: 'hit', totalMs: 1 });
    expect(extractMetrics(without).flatMap((metric) => Object.keys(metric.dimensions))).not.toContain('sharedCache');
  });

  it('counts a failed secret read on the decision it fails and on the warning of a failed background re-read', () => {
    const emf = new EmfFormatter(settings);
    const decision = emf.decision({ outcome: 'error', reason: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE', totalMs: 3 });
    const warning = emf.warning({ warning: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE', message: 'could not read secret s' });
    for (const text of [decision, warning]) {
      expect(emfProblems(text)).toEqual([]);
      expect(extractMetrics(text).filter((metric) => metric.name === 'SecretReadFailures')).toEqual([
        { namespace: 'Test/Phantom', name: 'SecretReadFailures', unit: 'Count', dimensions: { service: 'orders-api' }, values: [1] },
      ]);
    }
    expect(extractMetrics(warning).map((metric) => metric.name)).toEqual(['SecretReadFailures']);
    expect(emf.warning({ warning: 'SOMETHING_ELSE', message: 'm' })).toBe('{"warning":"SOMETHING_ELSE","message":"m"}');
  });

  it('writes one line per decision, and the line of an authorizer that cannot start is not a metric', async () => {
    const before = (await emfLines()).length;
    const broken = peers.authorizer({ INTROSPECTION_ENDPOINT: 'ftp://idp.example.com/' });
    await expect(broken(httpApiEvent('Bearer x'))).rejects.toMatchObject({ code: 'ERR_CONFIGURATION_INVALID' });
    const lines = (await emfLines()).slice(before);
    expect(lines.map((line) => '_aws' in JSON.parse(line))).toEqual([false, true]);
    expect(extractMetrics(lines[1] as string).map((metric) => metric.dimensions.reason ?? metric.dimensions.outcome)).toContain(
      'ERR_CONFIGURATION_INVALID',
    );
  });

  it('escapes the service name as JSON', () => {
    const text = new EmfFormatter({ namespace: 'N', service: 'a "quoted" \\ name' }).decision({ outcome: 'allow', reason: 'ok' });
    expect(emfProblems(text)).toEqual([]);
    expect(JSON.parse(text).service).toBe('a "quoted" \\ name');
  });

  it('writes through an authorizer-independent default writer with the default namespace', async () => {
    writeDecisionLog({ outcome: 'deny', reason: 'missing', routeKey: 'GET /emf-default' });
    const text = (await emfLines()).find((line) => line.includes('GET /emf-default')) as string;
    expect(extractMetrics(text)[0]).toMatchObject({ namespace: 'PhantomToken', dimensions: { service: 'phantom-token', outcome: 'deny' } });
    decisionLog(settings).writeWarningLog({ warning: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE', message: 'emf-warning-test' });
    const warning = (await emfLines()).find((line) => line.includes('emf-warning-test')) as string;
    expect(extractMetrics(warning)[0]).toMatchObject({ namespace: 'Test/Phantom', name: 'SecretReadFailures' });
  });
});

describe('the metrics settings', () => {
  it('take the namespace and service from Powertools’ variables, with defaults', () => {
    expect(metricsSettings({})).toEqual({ namespace: 'PhantomToken', service: 'phantom-token' });
    expect(metricsSettings({ POWERTOOLS_METRICS_NAMESPACE: 'Team/Auth', POWERTOOLS_SERVICE_NAME: 'orders' })).toEqual({
      namespace: 'Team/Auth',
      service: 'orders',
    });
  });

  it('fall back to the defaults for values CloudWatch would refuse, which the configuration refuses loudly', () => {
    const env = { INTROSPECTION_ENDPOINT: 'https://idp.example.com/i', CLIENT_CREDENTIALS_SECRET: 's' };
    for (const [name, value, message] of [
      [
        'POWERTOOLS_METRICS_NAMESPACE',
        'AWS/Lambda',
        /^POWERTOOLS_METRICS_NAMESPACE must be 1 to 255 printable ASCII characters, not starting with ":" or "AWS\/"; received "AWS\/Lambda"$/,
      ],
      ['POWERTOOLS_METRICS_NAMESPACE', ':x', /received ":x"$/],
      ['POWERTOOLS_METRICS_NAMESPACE', 'n'.repeat(256), /^POWERTOOLS_METRICS_NAMESPACE must be/],
      [
        'POWERTOOLS_SERVICE_NAME',
        '   ',
        /^POWERTOOLS_SERVICE_NAME must be 1 to 255 printable ASCII characters, not only spaces; received " {3}"$/,
      ],
      ['POWERTOOLS_SERVICE_NAME', 'tab\there', /^POWERTOOLS_SERVICE_NAME must be/],
    ] as const) {
      expect(metricsSettings({ [name]: value })).toEqual({ namespace: 'PhantomToken', service: 'phantom-token' });
      expect(() => loadConfig({ ...env, [name]: value })).toThrow(message);
    }
    expect(loadConfig({ ...env, POWERTOOLS_METRICS_NAMESPACE: 'Team/Auth', POWERTOOLS_SERVICE_NAME: 'orders' })).toMatchObject({
      metricsNamespace: 'Team/Auth',
      serviceName: 'orders',
    });
  });
});

describe('the reason lists', () => {
  it('name every error code the authorizer has, and every Bearer rejection', () => {
    const classes = Object.values(errors).filter(
      (value) => typeof value === 'function' && value.prototype instanceof errors.PhantomTokenError,
    );
    const codes = classes.map((ErrorClass) => new (ErrorClass as unknown as new (message: string) => errors.PhantomTokenError)('m').code);
    expect(codes.length).toBeGreaterThan(5);
    expect(ERROR_REASONS).toEqual(expect.arrayContaining([...codes, 'ERR_INTERNAL']));
    expect(Object.keys(DENY_REASONS)).toEqual(expect.arrayContaining(['missing', 'not_bearer', 'malformed', 'too_long']));
    expect(new Set(METRIC_REASONS).size).toBe(METRIC_REASONS.length);
  });
});
