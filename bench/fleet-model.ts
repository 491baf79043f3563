import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Fleet model: how many introspections per second reach the identity server when API Gateway runs
 * N concurrent instances of the authorizer, for a token population, a request rate, API Gateway's
 * results cache TTL and the in-function cache. A discrete-event simulation, checked against a
 * closed form and calibrated against what `npm run soak` measured.
 *
 *   npx tsx bench/fleet-model.ts [--tokens T] [--rate R] [--routes K] [--results-ttl S] [--cache-ttl S] [--token-lifetime S]
 *                                [--memory-ttl S] [--item-bytes B]
 *
 * The model (each assumption is a choice where AWS documents nothing more precise):
 * - T tokens in use at once, each sending requests as a Poisson process at rate/T, on one of K
 *   routes that differ in scopes (so API Gateway caches per token and route); each token is
 *   replaced by a new one every `token-lifetime` seconds (at a random phase).
 * - API Gateway's authorizer cache is one per API stage, shared by all instances: an entry lives
 *   `results-ttl` seconds from the invocation that filled it.
 * - An invocation lands on one of the N instances at random (Lambda documents no affinity; random is
 *   the worst case for per-instance caches). Each instance has its own cache: an entry lives
 *   min(cache-ttl, exp − now). A miss there is one introspection.
 * - With the shared cache (`sharedCache`, issue #24; `--memory-ttl`, default 5 s; `--item-bytes`, default 1,200: an entry with an 800-byte JWT), an instance's memory keeps an answer for
 *   min(memory-ttl, the table entry's expiry); a memory miss reads the table (one strongly
 *   consistent GetItem), and a table miss is one introspection and one PutItem of an entry that
 *   lives min(cache-ttl, exp − now). Events are instantaneous here, so two instances never miss the
 *   same token at once: the soak's measured introspections per token and window (concurrent misses
 *   included) calibrate that.
 */
interface Model {
  readonly tokens: number;
  readonly rate: number;
  readonly routes: number;
  readonly resultsTtl: number;
  readonly cacheTtl: number;
  readonly tokenLifetime: number;
}

interface Outcome {
  readonly requestsPerSecond: number;
  readonly invocationsPerSecond: number;
  readonly introspectionsPerSecond: number;
  /** With the shared cache: GetItem calls a second (memory misses), else 0. */
  readonly tableReadsPerSecond: number;
  /** With the shared cache: PutItem calls a second (one per introspection), else 0. */
  readonly tableWritesPerSecond: number;
  /** Introspections ÷ (token, `cacheTtl` window) pairs with at least one: the soak's figure (a). */
  readonly introspectionsPerTokenWindow: number;
}

/** The shared cache's settings; absent: each instance's own cache only. */
interface Shared {
  /** Seconds an instance serves an answer from memory before reading the table again. */
  readonly memoryTtl: number;
}

/** A seeded uniform generator (mulberry32). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Simulates `seconds` of traffic after a warm-up; returns the rates of the measured part. */
export function simulate(model: Model, instances: number, seconds = 600, seed = 1, shared?: Shared): Outcome {
  const random = generator(seed);
  const warmup = Math.max(model.resultsTtl, model.cacheTtl) * 2 + 10;
  const end = warmup + seconds;
  const phase = Array.from({ length: model.tokens }, () => random() * model.tokenLifetime);
  const gateway = new Map<number, number>(); // (token id × routes + route) → expires
  const caches = Array.from({ length: instances }, () => new Map<number, number>()); // token id → expires
  const table = new Map<number, number>(); // token id → the entry's expiry (shared cache)
  const windows = new Map<string, number>(); // "token window" → introspections
  let requests = 0;
  let invocations = 0;
  let introspections = 0;
  let reads = 0;
  let writes = 0;
  for (let t = -Math.log(1 - random()) / model.rate; t < end; t += -Math.log(1 - random()) / model.rate) {
    const slot = Math.floor(random() * model.tokens);
    const generation = Math.floor((t + (phase[slot] as number)) / model.tokenLifetime);
    const tokenId = generation * model.tokens + slot;
    const exp = (generation + 1) * model.tokenLifetime - (phase[slot] as number);
    const route = Math.floor(random() * model.routes);
    const measured = t >= warmup;
    if (measured) requests += 1;
    const gatewayKey = tokenId * model.routes + route;
    if ((gateway.get(gatewayKey) ?? -1) > t) continue;
    if (model.resultsTtl > 0) gateway.set(gatewayKey, t + model.resultsTtl);
    if (measured) invocations += 1;
    const cache = caches[Math.floor(random() * instances)] as Map<number, number>;
    if ((cache.get(tokenId) ?? -1) > t) continue;
    if (shared !== undefined) {
      if (measured) reads += 1;
      const entry = table.get(tokenId) ?? -1;
      if (entry > t) {
        cache.set(tokenId, Math.min(t + shared.memoryTtl, entry));
        continue;
      }
    }
    if (measured) {
      introspections += 1;
      const window = `${tokenId} ${Math.floor(t / Math.max(1, model.cacheTtl))}`;
      windows.set(window, (windows.get(window) ?? 0) + 1);
    }
    const expires = Math.min(t + model.cacheTtl, exp);
    if (shared !== undefined) {
      if (measured) writes += 1;
      if (expires > t) table.set(tokenId, expires);
      if (expires > t) cache.set(tokenId, Math.min(t + shared.memoryTtl, expires));
    } else if (expires > t) cache.set(tokenId, expires);
  }
  return {
    requestsPerSecond: requests / seconds,
    invocationsPerSecond: invocations / seconds,
    introspectionsPerSecond: introspections / seconds,
    tableReadsPerSecond: reads / seconds,
    tableWritesPerSecond: writes / seconds,
    introspectionsPerTokenWindow: windows.size === 0 ? 0 : introspections / windows.size,
  };
}

/**
 * DynamoDB on-demand prices, US East (N. Virginia), as AWS publishes them on
 * https://aws.amazon.com/dynamodb/pricing/on-demand/ (the rates in force since the price reduction
 * of 1 November 2024, read for this model in December 2026; check the page before relying on them):
 * US$ per million request units. A strongly consistent read of an item up to 4 KB is one read unit;
 * a standard write, one write unit per KB (rounded up); a write refused by its condition is billed too.
 */
export const DYNAMODB_ON_DEMAND_USD = {
  region: 'us-east-1',
  perMillionReadUnits: 0.125,
  perMillionWriteUnits: 0.625,
} as const;

/** The table's on-demand cost per million API requests, US$, for items of `itemBytes`. */
export function tableCostPerMillionRequests(outcome: Outcome, itemBytes: number): number {
  const readUnits = Math.ceil(itemBytes / 4096);
  const writeUnits = Math.ceil(itemBytes / 1024);
  const perSecond =
    (outcome.tableReadsPerSecond * readUnits * DYNAMODB_ON_DEMAND_USD.perMillionReadUnits +
      outcome.tableWritesPerSecond * writeUnits * DYNAMODB_ON_DEMAND_USD.perMillionWriteUnits) /
    1e6;
  return (perSecond / outcome.requestsPerSecond) * 1e6;
}

/**
 * The closed form for tokens that outlive the caches: a Poisson stream of rate λ through a cache of
 * TTL τ misses λ/(1 + λτ) times a second. The gateway sees rate/(T·K) per token and route; each
 * instance sees 1/N of a token's invocations (treated as Poisson, which they nearly are).
 */
export function closedForm(model: Model, instances: number): number {
  const perRoute = model.rate / model.tokens / model.routes;
  const invoked = (model.routes * perRoute) / (1 + perRoute * model.resultsTtl);
  const perInstance = invoked / instances;
  return model.tokens * instances * (perInstance / (1 + perInstance * model.cacheTtl));
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  if (index === -1) return fallback;
  const value = Number(process.argv[index + 1]);
  if (!(value >= 0)) throw new Error(`${name} must be a number ≥ 0; received ${process.argv[index + 1]}`);
  return value;
}

const INSTANCES = [1, 3, 10, 30, 100, 300, 1000];

function main(): void {
  const model: Model = {
    tokens: option('--tokens', 10_000),
    rate: option('--rate', 1_000),
    routes: option('--routes', 2),
    resultsTtl: option('--results-ttl', 60),
    cacheTtl: option('--cache-ttl', 300),
    tokenLifetime: option('--token-lifetime', 3600),
  };
  const f = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
  console.log(
    `fleet model: ${model.tokens.toLocaleString('en-US')} tokens in use, ${model.rate.toLocaleString('en-US')} requests/s over ${model.routes} routes, tokens live ${model.tokenLifetime} s`,
  );

  // Calibration: the model with the soak's own parameters against what the soak measured.
  const summaryPath = resolve(__dirname, '..', 'reports', 'soak', 'soak-summary.json');
  const sharedExcess = calibrateTokenWindows();
  if (existsSync(summaryPath)) {
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as {
      settings: { resultsCacheTtlSeconds: number; cacheMaxTtlSeconds: number; instances: number; shortTokenTtlSeconds: number };
      calibration: {
        validTokens: number;
        validRequestsPerSecond: number;
        validInvocationsPerSecond: number;
        validIntrospectionsPerSecond: number;
      };
    };
    const s = summary.settings;
    const c = summary.calibration;
    const soakModel: Model = {
      tokens: c.validTokens,
      rate: c.validRequestsPerSecond,
      routes: 2,
      resultsTtl: s.resultsCacheTtlSeconds,
      cacheTtl: s.cacheMaxTtlSeconds,
      tokenLifetime: 3600,
    };
    const one = simulate(soakModel, 1, 3600);
    const all = simulate(soakModel, s.instances, 3600);
    console.log(
      `calibration against the last soak's long-lived valid tokens (${c.validTokens} tokens, ${c.validRequestsPerSecond.toFixed(1)} requests/s, results cache ${s.resultsCacheTtlSeconds} s, function cache ${s.cacheMaxTtlSeconds} s, ${s.instances} instances, least busy first):\n` +
        `  invocations/s    measured ${c.validInvocationsPerSecond.toFixed(2)}, model ${all.invocationsPerSecond.toFixed(2)}\n` +
        `  introspections/s measured ${c.validIntrospectionsPerSecond.toFixed(2)}, model ${one.introspectionsPerSecond.toFixed(2)} (1 instance) … ${all.introspectionsPerSecond.toFixed(2)} (${s.instances} at random)`,
    );
  } else {
    console.log(`(no ${summaryPath}: run npm run soak first to compare the model with a measured run)`);
  }

  const settings: { readonly label: string; readonly resultsTtl: number; readonly cacheTtl: number }[] = [
    { label: `results ${model.resultsTtl} s, function ${model.cacheTtl} s`, resultsTtl: model.resultsTtl, cacheTtl: model.cacheTtl },
    { label: `results 0, function ${model.cacheTtl} s`, resultsTtl: 0, cacheTtl: model.cacheTtl },
    { label: `results ${model.resultsTtl} s, function 0`, resultsTtl: model.resultsTtl, cacheTtl: 0 },
    { label: 'no cache', resultsTtl: 0, cacheTtl: 0 },
  ];
  console.log(`\nintrospections/s at the identity server (simulated 600 s; closed form in brackets for the first column)\n`);
  console.log(`| instances | ${settings.map((s) => s.label).join(' | ')} | invocations/s |`);
  console.log(`|---|${settings.map(() => '---|').join('')}---|`);
  let shared: Outcome | undefined;
  for (const n of INSTANCES) {
    const cells = settings.map((s) => simulate({ ...model, resultsTtl: s.resultsTtl, cacheTtl: s.cacheTtl }, n));
    const first = cells[0] as Outcome;
    if (n === 1) shared = first;
    console.log(
      `| ${n} | ${cells.map((o, i) => (i === 0 ? `${f(o.introspectionsPerSecond)} (${f(closedForm(model, n))})` : f(o.introspectionsPerSecond))).join(' | ')} | ${f(first.invocationsPerSecond)} |`,
    );
  }
  const perInstanceOne = shared as Outcome;
  const memoryTtl = option('--memory-ttl', 5);
  const itemBytes = option('--item-bytes', 1_200);
  const { region, perMillionReadUnits, perMillionWriteUnits } = DYNAMODB_ON_DEMAND_USD;
  console.log(
    `\nwith the shared cache (sharedCache: memory ${memoryTtl} s → table → identity server; first column's settings; items of ${itemBytes} bytes: ` +
      `${Math.ceil(itemBytes / 4096)} read unit per strongly consistent GetItem, ${Math.ceil(itemBytes / 1024)} write units per PutItem; ` +
      `on-demand ${region}: $${perMillionReadUnits} per million read units, $${perMillionWriteUnits} per million write units)\n`,
  );
  const excess = sharedExcess ?? 1;
  console.log(
    sharedExcess === undefined
      ? '(no shared-cache soak to calibrate against: the model counts no concurrent misses; run npm run soak -- --shared-cache)\n'
      : `calibrated: × ${excess.toFixed(2)}, the soak's measured introspections per token and window over the model's (misses of one token on two instances at once, which the model's instantaneous events never have), for N ≥ 2\n`,
  );
  console.log(
    '| instances | introspections/s (calibrated) | per token and window | table reads/s | table writes/s | table $ per million requests | without: introspections/s |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const n of INSTANCES) {
    const modelled = simulate(model, n, 600, 1, { memoryTtl });
    // One instance has no other to miss at once with. Each extra introspection is an extra PutItem too.
    const factor = n === 1 ? 1 : excess;
    const withShared = {
      ...modelled,
      introspectionsPerSecond: modelled.introspectionsPerSecond * factor,
      tableWritesPerSecond: modelled.tableWritesPerSecond * factor,
    };
    const without = simulate(model, n);
    console.log(
      `| ${n} | ${f(withShared.introspectionsPerSecond)} | ${(modelled.introspectionsPerTokenWindow * factor).toFixed(2)} | ${f(withShared.tableReadsPerSecond)} | ` +
        `${f(withShared.tableWritesPerSecond)} | ${tableCostPerMillionRequests(withShared, itemBytes).toFixed(4)} | ${f(without.introspectionsPerSecond)} |`,
    );
  }
  console.log(
    `\none instance's own cache, for comparison: ${f(perInstanceOne.introspectionsPerSecond)} introspections/s. With the shared cache the identity server's load ` +
      'is about the distinct tokens per cache lifetime whatever N; the table is read on each memory miss (at most once per token, instance and memory TTL) ' +
      'and written once per introspection.',
  );
}

interface SoakSummary {
  readonly settings: {
    resultsCacheTtlSeconds: number;
    cacheMaxTtlSeconds: number;
    instances: number;
    sharedCache?: boolean;
    memoryTtlSeconds?: number;
    restPercent?: number;
  };
  readonly calibration: { validTokens: number; validRequestsPerSecond: number };
  readonly figures?: {
    introspections: { perTokenWindow: number; instances: number; groups: number };
    tableUsage?: { gets: number; puts: number; readUnits: number; writeUnits: number };
  };
}

/**
 * Figure (a) of the last soak runs without and with `--shared-cache` (reports/soak,
 * reports/soak-shared-cache) against the model with their parameters: introspections per valid
 * token and `cacheMaxTtl` window, at N = the run's peak authorizer instances.
 */
function calibrateTokenWindows(): number | undefined {
  let sharedExcess: number | undefined;
  for (const dir of ['soak', 'soak-shared-cache']) {
    const path = resolve(__dirname, '..', 'reports', dir, 'soak-summary.json');
    if (!existsSync(path)) {
      console.log(`(no ${path}: run npm run soak${dir === 'soak' ? '' : ' -- --shared-cache'} to calibrate against it)`);
      continue;
    }
    const summary = JSON.parse(readFileSync(path, 'utf8')) as SoakSummary;
    const measured = summary.figures?.introspections;
    if (measured === undefined) {
      console.log(`(${path} has no figures: it was written before the shared cache's figures; run the soak again)`);
      continue;
    }
    const s = summary.settings;
    const soakModel: Model = {
      tokens: summary.calibration.validTokens,
      // The valid tokens' requests, over both APIs: each API has its own decision cache (two gateways, each K routes).
      rate: summary.calibration.validRequestsPerSecond,
      routes: (s.restPercent ?? 0) > 0 ? 4 : 2,
      resultsTtl: s.resultsCacheTtlSeconds,
      cacheTtl: s.cacheMaxTtlSeconds,
      tokenLifetime: 3600,
    };
    const shared = s.sharedCache === true ? { memoryTtl: s.memoryTtlSeconds ?? 1 } : undefined;
    const model = simulate(soakModel, Math.max(1, measured.instances), 3600, 1, shared);
    const usage = summary.figures?.tableUsage;
    const units =
      usage === undefined || usage.puts === 0
        ? ''
        : `; the table billed ${(usage.writeUnits / usage.puts).toFixed(2)} write units per PutItem, ${(usage.readUnits / Math.max(1, usage.gets)).toFixed(2)} read units per GetItem`;
    console.log(
      `calibration, introspections per valid token and ${s.cacheMaxTtlSeconds} s window (${dir}, shared cache ${shared === undefined ? 'off' : 'on'}): ` +
        `measured ${measured.perTokenWindow.toFixed(2)} over ${measured.groups} token-windows, model ${model.introspectionsPerTokenWindow.toFixed(2)} at ${measured.instances} instances chosen at random${units}`,
    );
    if (shared !== undefined && model.introspectionsPerTokenWindow > 0)
      sharedExcess = measured.perTokenWindow / model.introspectionsPerTokenWindow;
  }
  return sharedExcess;
}

if (require.main === module) main();
