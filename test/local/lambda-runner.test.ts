import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { concurrencyLimitFrom, defaultConcurrencyLimit, LambdaConcurrency } from '../../local/lambda-concurrency.js';
import { INVOCATION_ERRORS, type InvocationResult, LambdaRunner } from '../../local/lambda-runner.js';
import type { LocalFunction } from '../../local/template.js';

/**
 * The local Lambda: instances added on demand up to the concurrency, throttling past it, the
 * caller's limit and the function's own timeout
 * (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
 */
const FUNCTIONS = `
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.slow = async (event) => { await sleep(event.ms ?? 300); return { pid: process.pid }; };
exports.hang = async () => { await sleep(60_000); return {}; };
exports.remaining = async (event, context) => ({ remaining: context.getRemainingTimeInMillis() });
`;

let dir: string;
const runners: LambdaRunner[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lambda-runner-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(dir, 'index.js'), FUNCTIONS);
});
afterEach(() => {
  for (const runner of runners.splice(0)) runner.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runner(handler: string, limit: number, timeoutSeconds = 10, maxStarting = 8): LambdaRunner {
  const fn: LocalFunction = { logicalId: handler, assetDir: dir, handler: `index.${handler}`, environment: {}, timeoutSeconds };
  const made = new LambdaRunner(fn, {}, () => {}, { concurrency: new LambdaConcurrency(limit), maxStarting });
  runners.push(made);
  return made;
}

function pidOf(result: InvocationResult): number {
  if (!result.ok) throw new Error(`${result.errorType}: ${result.errorMessage}`);
  return (result.result as { pid: number }).pid;
}

describe('LambdaRunner', () => {
  it('runs concurrent invocations on concurrent instances, started on demand', async () => {
    const slow = runner('slow', 10);
    const results = await Promise.all(Array.from({ length: 4 }, () => slow.invoke({ ms: 1500 })));
    expect(new Set(results.map(pidOf)).size).toBe(4);
    expect(slow.peakInstances).toBe(4);
    // Warm now: one more invocation reuses an instance instead of starting a fifth.
    expect(results.map(pidOf)).toContain(pidOf(await slow.invoke({ ms: 1 })));
    expect(slow.instanceCount).toBe(4);
  }, 30_000);

  it('throttles at once an invocation past the concurrency limit, and the others still run', async () => {
    const slow = runner('slow', 2);
    const pending = [slow.invoke({ ms: 1500 }), slow.invoke({ ms: 1500 })];
    const third = await slow.invoke({ ms: 1 });
    expect(third).toMatchObject({ ok: false, errorType: INVOCATION_ERRORS.throttled, errorMessage: 'Rate Exceeded.' });
    expect(slow.concurrency.throttled).toBe(1);
    for (const result of await Promise.all(pending)) expect(result.ok).toBe(true);
    // The slots are free again.
    expect((await slow.invoke({ ms: 1 })).ok).toBe(true);
  }, 30_000);

  it("answers CallerTimeout at the caller's limit, counted from the call, without waiting for the function", async () => {
    // The function sleeps 60 s, past the test's own timeout: an answer at all is the caller's limit at work.
    const hang = runner('hang', 5);
    const result = await hang.invoke({}, 400);
    expect(result).toMatchObject({ ok: false, errorType: INVOCATION_ERRORS.callerTimeout });
    // As on Lambda, the invocation still holds its concurrency until the function ends.
    expect(hang.concurrency.inFlight).toBe(1);
  }, 30_000);

  it('stops an instance whose invocation runs past the function timeout, and starts another for the next', async () => {
    const hang = runner('hang', 5, 1);
    const result = await hang.invoke({});
    expect(result).toMatchObject({
      ok: false,
      errorType: INVOCATION_ERRORS.functionTimeout,
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    expect(hang.concurrency.inFlight).toBe(0);
    const slow = runner('slow', 5, 1);
    expect(pidOf(await slow.invoke({ ms: 1 }))).toBeGreaterThan(0);
  }, 30_000);

  it('serves a burst with the instances free first, then starts in the background as many as the burst called for', async () => {
    const slow = runner('slow', 10, 10, 1);
    const results = await Promise.all(Array.from({ length: 4 }, () => slow.invoke({ ms: 50 })));
    for (const result of results) expect(result.ok).toBe(true);
    const deadline = Date.now() + 15_000;
    while (slow.instanceCount < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(slow.instanceCount).toBe(4);
  }, 30_000);

  it('starts no instance once stopped, and fails an invocation at once', async () => {
    const slow = runner('slow', 10);
    await Promise.all(Array.from({ length: 3 }, () => slow.invoke({ ms: 300 })));
    slow.stop();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(slow.instanceCount).toBe(0);
    expect(await slow.invoke({ ms: 1 })).toMatchObject({ ok: false, errorType: INVOCATION_ERRORS.crash });
  }, 30_000);

  it("gives the handler the function's remaining time", async () => {
    const remaining = runner('remaining', 1, 3);
    const result = await remaining.invoke({});
    expect(result.ok).toBe(true);
    const left = (result as { result: { remaining: number } }).result.remaining;
    expect(left).toBeGreaterThan(2000);
    expect(left).toBeLessThanOrEqual(3000);
  }, 30_000);
});

describe('the concurrency limit', () => {
  it("defaults to the account's 1,000 or what half the memory holds at 64 MiB an instance, whichever is less", () => {
    expect(defaultConcurrencyLimit(24 * 2 ** 30)).toBe(192);
    expect(defaultConcurrencyLimit(8 * 2 ** 30)).toBe(64);
    expect(defaultConcurrencyLimit(512 * 2 ** 30)).toBe(1000);
  });

  it('reads LAMBDA_CONCURRENCY and refuses a value outside 1–1000, naming it', () => {
    expect(concurrencyLimitFrom('25')).toBe(25);
    expect(() => concurrencyLimitFrom('0')).toThrow('LAMBDA_CONCURRENCY must be a whole number from 1 to 1000; received "0"');
    expect(() => concurrencyLimitFrom('1001')).toThrow('received "1001"');
    expect(() => concurrencyLimitFrom('ten')).toThrow('received "ten"');
  });
});
