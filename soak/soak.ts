import { randomBytes } from 'node:crypto';
import { revocationBounds } from '../local/local-stack.js';
import { DEFAULT_AUTHORIZER_CLIENT } from '../local/oauth-server.js';
import type { SetPush } from '../local/set-transmitter.js';
import { REVOCATIONS, type Schedule, scheduleFor } from './fault-schedule.js';
import { LoadDriver } from './load-driver.js';
import { isDeny, judge, type OracleResult } from './oracle.js';
import { childRss } from './process-rss.js';
import { seededRandom } from './random.js';
import type {
  ApiType,
  CacheWindows,
  FaultKind,
  FaultWindow,
  IntrospectionRecord,
  InvocationRecord,
  RequestRecord,
  RevocationMark,
  TokenRecord,
} from './records.js';
import type { SoakSettings } from './settings.js';
import { type SoakStack, startSoakStack } from './soak-stack.js';
import type { TableUsage } from './table-server.js';
import { shortLivedClient, TokenPopulation } from './token-population.js';

/** One decision line of an authorizer instance, as the soak keeps it (the lines carry no token). */
export interface DecisionSample {
  readonly atMs: number;
  readonly instance: number;
  readonly outcome: string;
  readonly reason: string;
  readonly cache: string | undefined;
  /** With the shared cache, on a memory miss: what the table answered (`hit`, `miss`, `revoked`, `unavailable`, …). */
  readonly sharedCache?: string;
  /** How long that table read took, ms. */
  readonly sharedCacheMs?: number;
}

export interface RssSample {
  readonly atMs: number;
  readonly pid: number;
  readonly rssBytes: number;
}

/** Everything a run recorded, and the oracle's judgement of it. */
export interface SoakRun {
  readonly settings: SoakSettings;
  readonly startMs: number;
  readonly endMs: number;
  readonly schedule: Schedule;
  readonly tokens: readonly TokenRecord[];
  readonly requests: readonly RequestRecord[];
  readonly invocations: readonly InvocationRecord[];
  readonly introspections: readonly IntrospectionRecord[];
  readonly faults: readonly FaultWindow[];
  readonly decisions: readonly DecisionSample[];
  readonly warnings: number;
  readonly rss: readonly RssSample[];
  readonly rotationMs: number | undefined;
  /** Requests the client sent again after a reset on a reused keep-alive connection. */
  readonly clientRetries: number;
  readonly verdict: OracleResult;
  /** Wall time of the whole run, start-up and drain included, seconds. */
  readonly wallSeconds: number;
  /** With `--shared-cache`: when each revocation mark reached the table. */
  readonly marks: readonly RevocationMark[];
  /** With `--shared-cache`: when the REST stage's authorizer cache was flushed. */
  readonly flushes: readonly number[];
  /** With `--shared-cache`: each SET the identity server pushed, and its delivery. */
  readonly pushes: readonly Omit<SetPush, 'done'>[];
  /** The APIs the load went to. */
  readonly apis: readonly ApiType[];
  /** With `--shared-cache`: the table's calls and the capacity units DynamoDB would bill for them (receiver's included). */
  readonly tableUsage: TableUsage | undefined;
  /** How the functions scaled: the authorizer's most instances at once, the most invocations in flight, throttles. */
  readonly scaling: {
    readonly authorizerPeakInstances: number;
    readonly peakInFlight: number;
    readonly throttled: number;
    readonly limit: number;
  };
}

const TICK_MS = 20;
const RSS_EVERY_MS = 500;
/** The revocation probe: one request of the revoked token per API this often, until denied. */
const PROBE_EVERY_MS = 100;
/** How long past an API's documented bound the probe keeps asking (the SET's delivery comes on top). */
const PROBE_GRACE_MS = 10_000;

/**
 * Runs the soak: starts the local flow with the fault proxy, seeds the token population, drives
 * the load for `settings.seconds` while the schedule plays the faults, the revocations, the
 * rotation and the bursts, waits for every request to be answered or lost, stops everything, and
 * judges the record. With `--shared-cache`, each revoked token is then asked for on every API every
 * 100 ms until denied (at most its documented bound + 10 s): the revocation phase's time to the
 * first deny, judged by the oracle like any other request.
 */
export async function runSoak(settings: SoakSettings, onProgress: (message: string) => void = () => {}): Promise<SoakRun> {
  const wallStart = performance.now();
  const random = seededRandom(settings.seed);
  const decisions: DecisionSample[] = [];
  let warnings = 0;
  const onLog = (instance: number, line: string) => {
    if (!line.startsWith('{')) return;
    try {
      const parsed = JSON.parse(line) as {
        outcome?: string;
        reason?: string;
        cache?: string;
        warning?: string;
        sharedCache?: string;
        sharedCacheMs?: number;
      };
      if (parsed.warning !== undefined) warnings += 1;
      if (parsed.outcome !== undefined)
        decisions.push({
          atMs: Date.now(),
          instance,
          outcome: parsed.outcome,
          reason: parsed.reason ?? '',
          cache: parsed.cache,
          ...(parsed.sharedCache === undefined ? {} : { sharedCache: parsed.sharedCache }),
          ...(typeof parsed.sharedCacheMs === 'number' ? { sharedCacheMs: parsed.sharedCacheMs } : {}),
        });
    } catch {
      // Not a JSON line: nothing the soak counts.
    }
  };
  const shortClient = shortLivedClient(settings.shortTokenTtlSeconds);
  const stack = await startSoakStack(settings, [shortClient], onLog, onProgress);
  const timers: NodeJS.Timeout[] = [];
  const background: Promise<unknown>[] = [];
  try {
    const population = new TokenPopulation(stack.oauth, DEFAULT_AUTHORIZER_CLIENT, shortClient, random);
    await population.seed({ valid: 15, revoked: REVOCATIONS.length, junk: 20, expiring: 2 });
    const driver = new LoadDriver({ http: stack.url, rest: stack.restUrl }, population, random, settings.restPercent);
    const apis: ApiType[] = settings.restPercent > 0 ? ['http', 'rest'] : ['http'];
    // With push revocation, each revoked token is asked for on every API until denied: the time to the first deny, per API type.
    const probeApis: ApiType[] = settings.sharedCache ? (stack.restUrl === undefined ? ['http'] : ['http', 'rest']) : [];
    const bounds = documentedBounds(settings);
    const probe = async (label: string | undefined) => {
      if (label === undefined) return;
      const authorization = population.authorizationOf(label);
      await Promise.all(
        probeApis.map(async (api) => {
          const until = Date.now() + bounds[api] * 1000 + PROBE_GRACE_MS;
          while (Date.now() < until) {
            if (isDeny(await driver.probe(label, authorization, api))) return;
            await new Promise((resolve) => setTimeout(resolve, PROBE_EVERY_MS));
          }
        }),
      );
    };
    onProgress(
      `driving ${settings.rate} requests/s for ${settings.seconds} s, ${settings.instances} authorizer instances warm, up to ${settings.concurrency} invocations at once …`,
    );

    const startMs = Date.now();
    const endMs = startMs + settings.seconds * 1000;
    const schedule = scheduleFor(startMs, settings.seconds);
    const faults: FaultWindow[] = [];
    let rotationMs: number | undefined;
    const at = (whenMs: number, action: () => Promise<unknown> | unknown) => {
      timers.push(
        setTimeout(
          () => {
            background.push(Promise.resolve().then(action));
          },
          Math.max(0, whenMs - Date.now()),
        ),
      );
    };

    for (const phase of schedule.phases) {
      if (phase.fault === undefined) continue;
      const kind = phase.fault;
      let began = 0;
      at(phase.startMs, async () => {
        began = Date.now();
        await applyFault(stack, kind, settings, true);
      });
      // A restart: the port closed for the first half of the window, then open and answering 503 while starting.
      if (kind === 'restart')
        at((phase.startMs + phase.endMs) / 2, () => stack.proxy.setRefusing(false).then(() => (stack.proxy.mode = 'starting')));
      at(phase.endMs, async () => {
        await applyFault(stack, kind, settings, false);
        faults.push({ kind, startMs: began, endMs: Date.now() });
      });
    }
    for (const burstMs of schedule.bursts) at(burstMs, () => Array.from({ length: settings.burstSize }, () => driver.send(true)));
    for (const revokeMs of schedule.revocations) at(revokeMs, () => population.revokeNext().then(probe));
    at(schedule.rotationMs, () => {
      rotationMs = Date.now();
      stack.rotateClientSecret(`rotated ${randomBytes(12).toString('base64url')}`);
    });
    const issueEveryMs = Math.max(1000, (settings.shortTokenTtlSeconds * 1000) / 3);
    for (let t = startMs + issueEveryMs; t < endMs - settings.shortTokenTtlSeconds * 1000; t += issueEveryMs) {
      at(t, () => population.issueExpiring());
    }

    const rss: RssSample[] = [];
    const sampleRss = () => {
      const atMs = Date.now();
      for (const { pid, rssBytes } of childRss(stack.authorizerAssetDir)) rss.push({ atMs, pid, rssBytes });
    };
    sampleRss();
    const rssTimer = setInterval(sampleRss, RSS_EVERY_MS);
    timers.push(rssTimer);

    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const now = Date.now();
        const due = Math.floor(((Math.min(now, endMs) - startMs) / 1000) * settings.rate);
        while (sent < due) {
          driver.send(false);
          sent += 1;
        }
        if (now >= endMs) {
          clearInterval(tick);
          resolve();
        }
      }, TICK_MS);
      timers.push(tick);
    });
    onProgress(`load done; waiting for ${driver.inFlight} requests in flight …`);
    // The scheduled actions first: a revocation probe may still be sending (each ends by its own bound).
    await Promise.all(background.map((task) => task.catch(() => {})));
    await driver.drain();
    clearInterval(rssTimer);
    sampleRss();

    const tokens = population.records;
    const marks = stack.sharedCache?.marks ?? [];
    const flushes = (stack.sharedCache?.apiGateway.flushes ?? []).map((flush) => flush.atMs);
    const verdict = judge({
      tokens,
      requests: driver.records,
      invocations: stack.pool.records,
      introspections: stack.proxy.records,
      faults,
      windows: windowsOf(settings, stack),
      marks,
      flushes,
    });
    const pushes = settings.sharedCache ? await stack.oauth.securityEventPushes() : [];
    const tableUsage = await stack.sharedCache?.table.usage();
    return {
      settings,
      startMs,
      endMs,
      schedule,
      tokens,
      requests: driver.records,
      invocations: stack.pool.records,
      introspections: stack.proxy.records,
      faults,
      decisions,
      warnings,
      rss,
      rotationMs,
      clientRetries: driver.retries,
      verdict,
      marks: [...marks],
      flushes,
      pushes,
      apis,
      tableUsage,
      wallSeconds: (performance.now() - wallStart) / 1000,
      scaling: {
        authorizerPeakInstances: stack.pool.peakInstances,
        peakInFlight: stack.concurrency.peak,
        throttled: stack.concurrency.throttled,
        limit: stack.concurrency.limit,
      },
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await stack.close();
  }
}

/** The documented cache windows of a run, for the oracle: the caches' TTLs, and with push revocation the memory bound. */
export function windowsOf(settings: SoakSettings, stack: Pick<SoakStack, 'cacheAcrossRoutes' | 'restCacheAcrossRoutes'>): CacheWindows {
  return {
    resultsCacheTtlSeconds: settings.resultsCacheTtlSeconds,
    cacheMaxTtlSeconds: settings.cacheMaxTtlSeconds,
    negativeCacheTtlSeconds: settings.negativeCacheTtlSeconds,
    acrossRoutes: stack.cacheAcrossRoutes,
    restAcrossRoutes: stack.restCacheAcrossRoutes,
    ...(settings.sharedCache ? { memoryTtlSeconds: settings.memoryTtlSeconds } : {}),
  };
}

/**
 * The documented bound per API type, seconds after a revocation's mark reached the table: REST,
 * flushed, the receiver's second flush (memory bound + 1 s, the memory bound alone with its
 * decision cache off); the HTTP API, without a flush, its results cache TTL + the memory bound.
 * Without push revocation, the caches' windows: results cache TTL + function cache TTL.
 */
export function documentedBounds(settings: SoakSettings): Record<ApiType, number> {
  if (!settings.sharedCache) {
    const window = settings.resultsCacheTtlSeconds + settings.cacheMaxTtlSeconds;
    return { http: window, rest: window };
  }
  const ttl = settings.resultsCacheTtlSeconds;
  return revocationBounds(settings.memoryTtlSeconds, settings.memoryTtlSeconds + 1, ttl, ttl);
}

async function applyFault(stack: SoakStack, kind: FaultKind, settings: SoakSettings, on: boolean): Promise<void> {
  switch (kind) {
    case 'slow':
      stack.proxy.slowMs = settings.slowMs;
      stack.proxy.mode = on ? 'slow' : 'pass';
      return;
    case 'status-5xx':
      stack.proxy.mode = on ? 'status-5xx' : 'pass';
      return;
    case 'stall':
      stack.proxy.mode = on ? 'stall' : 'pass';
      return;
    case 'refused':
      return stack.proxy.setRefusing(on);
    case 'restart':
      if (on) return stack.proxy.setRefusing(true);
      await stack.proxy.setRefusing(false);
      stack.proxy.mode = 'pass';
      return;
  }
}
