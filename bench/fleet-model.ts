import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Fleet model: how many introspections per second reach the identity server when API Gateway runs
 * N concurrent instances of the authorizer, for a token population, a request rate, API Gateway's
 * results cache TTL and the in-function cache. A discrete-event simulation, checked against a
 * closed form and calibrated against what `npm run soak` measured.
 *
 *   npx tsx bench/fleet-model.ts [--tokens T] [--rate R] [--routes K] [--results-ttl S] [--cache-ttl S] [--token-lifetime S]
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
 * - A shared cache (the option sized below) behaves as one instance's cache for the whole fleet.
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
export function simulate(model: Model, instances: number, seconds = 600, seed = 1): Outcome {
  const random = generator(seed);
  const warmup = Math.max(model.resultsTtl, model.cacheTtl) * 2 + 10;
  const end = warmup + seconds;
  const phase = Array.from({ length: model.tokens }, () => random() * model.tokenLifetime);
  const gateway = new Map<number, number>(); // (token id × routes + route) → expires
  const caches = Array.from({ length: instances }, () => new Map<number, number>()); // token id → expires
  let requests = 0;
  let invocations = 0;
  let introspections = 0;
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
    if (measured) introspections += 1;
    const expires = Math.min(t + model.cacheTtl, exp);
    if (expires > t) cache.set(tokenId, expires);
  }
  return {
    requestsPerSecond: requests / seconds,
    invocationsPerSecond: invocations / seconds,
    introspectionsPerSecond: introspections / seconds,
  };
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
  const sharedLoad = shared as Outcome;
  console.log(
    `\nwith a shared cache (one cache for the fleet, first column's settings): ${f(sharedLoad.introspectionsPerSecond)} introspections/s at any N; ` +
      `it is read on every invocation that misses the instance's own cache (≤ ${f(sharedLoad.invocationsPerSecond)}/s) and written once per introspection.`,
  );
}

if (require.main === module) main();
