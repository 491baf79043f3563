import { DEFAULTS, ENV } from '../environment.js';
import { DIMENSIONS, METRIC_REASONS, METRICS, NAMESPACE_PATTERN, SECRET_READ_FAILURE, SERVICE_NAME_PATTERN } from './metrics-contract.js';

/** Where the metrics go: the CloudWatch namespace and the `service` dimension. */
export interface MetricsSettings {
  readonly namespace: string;
  readonly service: string;
}

/**
 * The namespace and service from the environment. A value the patterns refuse falls back to the
 * default here: `loadConfig` refuses it loudly, and the error lines of that misconfigured function
 * still count, under the default, where a template built by the construct (which validates both)
 * never puts them.
 */
export function metricsSettings(env: Readonly<Record<string, string | undefined>>): MetricsSettings {
  const namespace = env[ENV.metricsNamespace];
  const service = env[ENV.serviceName];
  return {
    namespace: namespace !== undefined && NAMESPACE_PATTERN.test(namespace) ? namespace : DEFAULTS.metricsNamespace,
    service: service !== undefined && SERVICE_NAME_PATTERN.test(service) ? service : DEFAULTS.serviceName,
  };
}

/** The members of a line that metrics are read from. */
interface LineFields {
  readonly [member: string]: unknown;
  readonly reason?: unknown;
  readonly cache?: unknown;
  readonly introspectionMs?: unknown;
  readonly totalMs?: unknown;
  readonly sharedCache?: unknown;
  readonly sharedCacheMs?: unknown;
}

// What a line carries, as bits: each combination has its metric members and directives built once.
const REASON = 1;
const CACHE = 2;
const TOTAL = 4;
const INTROSPECTION = 8;
const COLD_START = 16;
const SECRET_FAILURE = 32;
// 64 marks a warning's record in the parts' key.
const SHARED_CACHE = 128;
const SHARED_CACHE_MS = 256;

const knownReasons = new Set(METRIC_REASONS);

/** True until the first decision line of this process (one function instance) is written. */
let coldStart = true;

/**
 * Turns decision lines into CloudWatch embedded metric format records: the line's own members
 * stay as they are and first; `service`, the counters and `_aws` are appended. The text around
 * the timestamp is built once per combination of members (a handful), so a line costs one
 * `JSON.stringify` of its fields and three concatenations.
 */
export class EmfFormatter {
  private readonly parts = new Map<number, { readonly head: string; readonly tail: string }>();
  private readonly service: string;

  constructor(private readonly settings: MetricsSettings) {
    this.service = `${JSON.stringify(DIMENSIONS.service)}:${JSON.stringify(settings.service)}`;
  }

  /** A decision line: `Decisions` by outcome, by reason (when listed) and by cache outcome; the timings; `ColdStart` on the first. */
  decision(fields: LineFields & { readonly outcome: string }): string {
    let flags = 0;
    if (typeof fields.reason === 'string' && knownReasons.has(fields.reason)) flags |= REASON;
    if (typeof fields.cache === 'string') flags |= CACHE;
    if (typeof fields.totalMs === 'number') flags |= TOTAL;
    if (typeof fields.introspectionMs === 'number') flags |= INTROSPECTION;
    if (fields.reason === SECRET_READ_FAILURE) flags |= SECRET_FAILURE;
    if (typeof fields.sharedCache === 'string') flags |= SHARED_CACHE;
    if (typeof fields.sharedCacheMs === 'number') flags |= SHARED_CACHE_MS;
    if (coldStart) {
      coldStart = false;
      flags |= COLD_START;
    }
    return this.record(fields, flags, true);
  }

  /** A warning line: an EMF record with `SecretReadFailures` when it reports a failed secret read, else plain JSON. */
  warning(fields: { readonly warning: string; readonly message: string }): string {
    return fields.warning === SECRET_READ_FAILURE ? this.record(fields, SECRET_FAILURE, false) : JSON.stringify(fields);
  }

  private record(fields: object, flags: number, decision: boolean): string {
    const key = decision ? flags : flags | 64;
    let parts = this.parts.get(key);
    if (parts === undefined) {
      parts = this.build(flags, decision);
      this.parts.set(key, parts);
    }
    const json = JSON.stringify(fields);
    return `${json.length > 2 ? `${json.slice(0, -1)},` : '{'}${parts.head}${Date.now()}${parts.tail}`;
  }

  private build(flags: number, decision: boolean): { head: string; tail: string } {
    const { namespace } = this.settings;
    const members: string[] = [this.service];
    const directives: object[] = [];
    if (decision) {
      members.push(`"${METRICS.decisions}":1`);
      const dimensions: string[][] = [[DIMENSIONS.service, DIMENSIONS.outcome]];
      if (flags & REASON) dimensions.push([DIMENSIONS.service, DIMENSIONS.reason]);
      if (flags & CACHE) dimensions.push([DIMENSIONS.service, DIMENSIONS.cache]);
      if (flags & SHARED_CACHE) dimensions.push([DIMENSIONS.service, DIMENSIONS.sharedCache]);
      directives.push({ Namespace: namespace, Dimensions: dimensions, Metrics: [{ Name: METRICS.decisions, Unit: 'Count' }] });
    }
    const perService: { Name: string; Unit: string }[] = [];
    if (flags & TOTAL) perService.push({ Name: METRICS.totalMs, Unit: 'Milliseconds' });
    if (flags & INTROSPECTION) perService.push({ Name: METRICS.introspectionMs, Unit: 'Milliseconds' });
    if (flags & SHARED_CACHE_MS) perService.push({ Name: METRICS.sharedCacheMs, Unit: 'Milliseconds' });
    if (flags & COLD_START) {
      members.push(`"${METRICS.coldStart}":1`);
      perService.push({ Name: METRICS.coldStart, Unit: 'Count' });
    }
    if (flags & SECRET_FAILURE) {
      members.push(`"${METRICS.secretReadFailures}":1`);
      perService.push({ Name: METRICS.secretReadFailures, Unit: 'Count' });
    }
    if (perService.length > 0) directives.push({ Namespace: namespace, Dimensions: [[DIMENSIONS.service]], Metrics: perService });
    return {
      head: `${members.join(',')},"_aws":{"Timestamp":`,
      tail: `,"CloudWatchMetrics":${JSON.stringify(directives)}}}`,
    };
  }
}
