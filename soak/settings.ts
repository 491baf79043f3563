import { defaultConcurrencyLimit } from '../local/lambda-concurrency.js';

/**
 * What one soak run does: how long, how hard, and the cache and deadline settings the authorizer
 * and the local gateway run with. The caches are shortened from the construct's defaults (60 s,
 * 300 s, 10 s) so that revocation and expiry bite within a one-minute run; the oracle takes the
 * same numbers, so what it checks is the documented rule, whatever the values.
 */
export interface SoakSettings {
  /** Length of the load, in seconds; the run stops by itself after it (plus a bounded drain). */
  readonly seconds: number;
  /** Steady requests per second, besides the bursts. */
  readonly rate: number;
  /** Requests sent at once in each burst. */
  readonly burstSize: number;
  /** Authorizer instances started before the clock, as a deployed API has warm ones; more start on demand. */
  readonly instances: number;
  /** How many invocations may run at once across the functions (the account's concurrency); past it, throttled. */
  readonly concurrency: number;
  /** API Gateway's results cache TTL (`resultsCacheTtl`), seconds. */
  readonly resultsCacheTtlSeconds: number;
  /** The function's cache (`cacheMaxTtl`), seconds. */
  readonly cacheMaxTtlSeconds: number;
  /** How long an inactive answer is remembered (`negativeCacheTtl`), seconds. */
  readonly negativeCacheTtlSeconds: number;
  /** `INTROSPECTION_TIMEOUT_MS`: the deadline of each introspection request. */
  readonly introspectionTimeoutMs: number;
  /** Lifetime of the tokens issued during the run to expire in it, seconds. */
  readonly shortTokenTtlSeconds: number;
  /** Extra delay of each introspection answer in the slow phase, ms (below the deadline: not a failure). */
  readonly slowMs: number;
  /** Seed of the request mix (token, route), so two runs send the same sequence. */
  readonly seed: number;
  /** Where the report, the summary JSON and the synthesized sample go. */
  readonly outDir: string;
  /**
   * The shared introspection cache and push revocation (`--shared-cache`, no value): the sample's
   * DynamoDB table in the local endpoint, the revocation receiver behind its function URL, the
   * identity server pushing a SET there on each revocation, the REST stage flushed through the
   * local API Gateway endpoint; and the revocation probes (soak.ts).
   */
  readonly sharedCache: boolean;
  /** With the shared cache: how long an instance serves an answer from memory (`SHARED_CACHE_MEMORY_TTL_SECONDS`), seconds. */
  readonly memoryTtlSeconds: number;
  /**
   * With the shared cache: the deadline of each table call (`SHARED_CACHE_TIMEOUT_MS`), ms. Longer
   * than the construct's 150 ms: here the table is a process on the same two shared cores as
   * everything else, and a new instance's first call opens its connection; a late read costs an
   * introspection, which would count against figure (a) for the machine's sake, not the design's.
   */
  readonly sharedCacheTimeoutMs: number;
  /**
   * Percent of the requests sent to the REST API instead of the HTTP API (each has its own decision
   * cache; only REST's is flushed on revocation). @default 0, or 30 with `--shared-cache`
   */
  readonly restPercent: number;
}

export const DEFAULT_SETTINGS: SoakSettings = {
  seconds: 60,
  rate: 40,
  burstSize: 120,
  instances: 3,
  concurrency: defaultConcurrencyLimit(),
  resultsCacheTtlSeconds: 2,
  cacheMaxTtlSeconds: 4,
  negativeCacheTtlSeconds: 2,
  introspectionTimeoutMs: 800,
  shortTokenTtlSeconds: 5,
  slowMs: 150,
  seed: 12,
  outDir: 'reports/soak',
  sharedCache: false,
  memoryTtlSeconds: 1,
  sharedCacheTimeoutMs: 500,
  restPercent: 0,
};

/** `--rest-percent` when `--shared-cache` is given without it: both APIs' revocation bounds are measured. */
export const SHARED_CACHE_REST_PERCENT = 30;
/** `--out` when `--shared-cache` is given without it. */
export const SHARED_CACHE_OUT_DIR = 'reports/soak-shared-cache';

const FLAGS: Record<string, keyof SoakSettings> = {
  '--seconds': 'seconds',
  '--rate': 'rate',
  '--burst': 'burstSize',
  '--instances': 'instances',
  '--concurrency': 'concurrency',
  '--results-cache-ttl': 'resultsCacheTtlSeconds',
  '--cache-max-ttl': 'cacheMaxTtlSeconds',
  '--negative-cache-ttl': 'negativeCacheTtlSeconds',
  '--introspection-timeout-ms': 'introspectionTimeoutMs',
  '--short-token-ttl': 'shortTokenTtlSeconds',
  '--slow-ms': 'slowMs',
  '--seed': 'seed',
  '--out': 'outDir',
  '--memory-ttl': 'memoryTtlSeconds',
  '--shared-cache-timeout-ms': 'sharedCacheTimeoutMs',
  '--rest-percent': 'restPercent',
};

/** Flags without a value: each turns a setting on. */
const SWITCHES: Record<string, 'sharedCache'> = {
  '--shared-cache': 'sharedCache',
};

/** Limits that keep a run bounded and the settings inside what the authorizer accepts. */
const LIMITS: Partial<Record<keyof SoakSettings, readonly [number, number]>> = {
  seconds: [10, 3600],
  rate: [1, 500],
  burstSize: [0, 1000],
  instances: [1, 64],
  concurrency: [1, 1000],
  resultsCacheTtlSeconds: [0, 3600],
  cacheMaxTtlSeconds: [0, 3600],
  negativeCacheTtlSeconds: [0, 3600],
  introspectionTimeoutMs: [100, 4000],
  shortTokenTtlSeconds: [2, 3600],
  slowMs: [0, 4000],
  seed: [0, 2 ** 31],
  memoryTtlSeconds: [0, 300],
  sharedCacheTimeoutMs: [10, 3000],
  restPercent: [0, 100],
};

/** `--seconds 20 --rate 30 …` → settings; throws naming the flag, its limits and the value. */
export function parseSettings(argv: readonly string[], base: SoakSettings = DEFAULT_SETTINGS): SoakSettings {
  const settings: Record<string, number | string | boolean> = { ...base };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] as string;
    const key = FLAGS[flag];
    const raw = argv[i + 1];
    const switched = SWITCHES[flag];
    if (switched !== undefined) {
      settings[switched] = true;
      i -= 1; // no value follows
      continue;
    }
    if (key === undefined)
      throw new Error(`unknown option ${JSON.stringify(flag)}; known: ${[...Object.keys(FLAGS), ...Object.keys(SWITCHES)].join(', ')}`);
    given.add(key);
    if (raw === undefined) throw new Error(`${flag} needs a value`);
    if (key === 'outDir') {
      settings[key] = raw;
      continue;
    }
    const [min, max] = LIMITS[key] ?? [0, Number.MAX_SAFE_INTEGER];
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new Error(`${flag} must be an integer from ${min} to ${max}; received ${JSON.stringify(raw)}`);
    }
    settings[key] = value;
  }
  if (settings.sharedCache === true && !given.has('restPercent') && base.restPercent === 0)
    settings.restPercent = SHARED_CACHE_REST_PERCENT;
  // Its own report directory, so that a run with and one without the shared cache can be compared (bench/fleet-model.ts).
  if (settings.sharedCache === true && !given.has('outDir') && base.outDir === DEFAULT_SETTINGS.outDir)
    settings.outDir = SHARED_CACHE_OUT_DIR;
  return settings as unknown as SoakSettings;
}
