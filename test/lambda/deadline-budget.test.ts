import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type FaultServer, fakeJwt, type SilentListener, startFaultServer, startSilentListener } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

/**
 * One decision, one budget: 2 × INTROSPECTION_TIMEOUT_MS + 500 ms from the invocation's start,
 * inside the function timeout (2 × INTROSPECTION_TIMEOUT_MS + 1 s), however slow each step is.
 * Here INTROSPECTION_TIMEOUT_MS is 1000: the budget is 2500 ms, the function timeout 3000 ms.
 */
const TIMEOUT_MS = 1_000;
const BUDGET_MS = 2 * TIMEOUT_MS + 500;
/** Timer lateness on a loaded machine; still well inside the 3000 ms function timeout. */
const SLACK_MS = 250;

let server: FaultServer;
let secrets: LocalSecretsManager;
let relay: SilentListener;
let jwks: SilentListener;

beforeAll(async () => {
  await import('@aws-sdk/client-secrets-manager');
  server = await startFaultServer();
  secrets = await startLocalSecretsManager();
  relay = await startSilentListener(new URL(secrets.endpoint).host);
  jwks = await startSilentListener();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = relay.url;
  secrets.put('deadline/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('deadline-client-secret') }));
});
afterAll(async () => {
  await server.close();
  await relay.close();
  await jwks.close();
  await secrets.close();
});
afterEach(() => {
  server.next = [];
  server.delayMs = 0;
  secrets.delayMs = 0;
  relay.silent = false;
});

/** A handler whose credentials are in hand (one allowed request behind it), with the given extra environment. */
async function warmAuthorizer(env: Record<string, string> = {}) {
  server.mode = 'jwt-chunked';
  const authorizer = createAuthorizer({
    INTROSPECTION_ENDPOINT: server.url,
    CLIENT_CREDENTIALS_SECRET: 'deadline/client',
    INTROSPECTION_TIMEOUT_MS: String(TIMEOUT_MS),
    ...env,
  });
  const warm = createAuthorizer({ INTROSPECTION_ENDPOINT: server.url, CLIENT_CREDENTIALS_SECRET: 'deadline/client' });
  expect(await warm(httpApiEvent('Bearer warm-up-token'))).toMatchObject({ isAuthorized: true });
  return authorizer;
}

/** Runs one invocation; what it threw, how long it took, and the decision line it wrote. */
async function timed(authorizer: ReturnType<typeof createAuthorizer>) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  // Past the function timeout, Lambda would have stopped the function: a hang fails the test there.
  const killed = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('still running at the function timeout')), 2 * TIMEOUT_MS + 1_000);
  });
  const invocation = authorizer(httpApiEvent(`Bearer ${rememberSecret(`deadline-token-${Math.random()}`)}`));
  const outcome: { response?: unknown; error?: Error & { code?: string } } = await Promise.race([invocation, killed]).then(
    (response) => ({ response }),
    (error: Error & { code?: string }) => ({ error }),
  );
  clearTimeout(timer);
  const elapsedMs = performance.now() - started;
  return { ...outcome, elapsedMs, line: (await decisionLines()).at(-1) };
}

describe('the decision budget', () => {
  it('application/jwt: a slow invalid_client, a slow secret read and a retry that never answers end at the budget, with an error line', async () => {
    const authorizer = await warmAuthorizer();
    await expect(authorizer(httpApiEvent('Bearer credentials-in-hand'))).resolves.toMatchObject({ isAuthorized: true });
    server.next = ['invalid-client'];
    server.mode = 'stall';
    server.delayMs = 800;
    secrets.delayMs = 800;
    const { error, elapsedMs, line } = await timed(authorizer);
    // 800 (401) + 800 (secret) leave 900 ms of the 2500 for the retry: less than its own 1000.
    // (Under load the steps take longer and the retry gets less, or nothing at all.)
    expect(error).toMatchObject({
      code: 'ERR_INTROSPECTION_REQUEST_FAILED',
      message: expect.stringMatching(/( did not answer within [1-9]\d{0,2} ms| budget ran out before the introspection request)$/),
    });
    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(line).toMatchObject({ outcome: 'error', reason: 'ERR_INTROSPECTION_REQUEST_FAILED', cache: 'miss' });
    expect(line?.totalMs).toBeLessThan(BUDGET_MS + SLACK_MS);
  });

  it('application/jwt: a slow invalid_client then a secret read that never answers ends within the budget (500)', async () => {
    const authorizer = await warmAuthorizer();
    await expect(authorizer(httpApiEvent('Bearer credentials-in-hand'))).resolves.toMatchObject({ isAuthorized: true });
    server.next = ['invalid-client'];
    server.delayMs = 800;
    relay.silent = true;
    const { error, elapsedMs, line } = await timed(authorizer);
    expect(error).toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: `could not read the secret CLIENT_CREDENTIALS_SECRET names: Secrets Manager did not answer within ${TIMEOUT_MS} ms`,
    });
    expect(elapsedMs).toBeLessThan(BUDGET_MS);
    expect(line).toMatchObject({ outcome: 'error', reason: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE' });
  });

  it('RFC 9701: a slow invalid_client, secret read and retry, then a JWKS that never answers, end at the budget', async () => {
    const authorizer = await warmAuthorizer({
      INTROSPECTION_RESPONSE_TYPE: 'application/token-introspection+jwt',
      JWKS_URI: `${jwks.url}/jwks`,
    });
    server.mode = 'body';
    server.body = {
      contentType: 'application/token-introspection+jwt',
      text: rememberSecret(
        fakeJwt({ aud: 'authorizer', token_introspection: { active: true } }, { alg: 'RS256', kid: 'k1', typ: 'token-introspection+jwt' }),
      ),
    };
    server.next = ['invalid-client'];
    server.delayMs = 650;
    secrets.delayMs = 650;
    const { error, elapsedMs, line } = await timed(authorizer);
    // 650 (401) + 650 (secret) + 650 (retry) leave 550 ms for the JWKS, which never answers.
    expect(error).toMatchObject({
      code: 'ERR_INTROSPECTION_REQUEST_FAILED',
      message: `the decision's ${BUDGET_MS} ms budget ran out verifying the introspection response`,
    });
    expect(elapsedMs).toBeGreaterThan(BUDGET_MS - 50);
    expect(elapsedMs).toBeLessThan(BUDGET_MS + SLACK_MS);
    expect(line).toMatchObject({ outcome: 'error', reason: 'ERR_INTROSPECTION_REQUEST_FAILED' });
  });

  it('fails at once, with the same error, when the budget is spent before a step starts', async () => {
    const { timeLeft } = await import('../../lambda/deadline.js');
    const spent = { at: performance.now() - 1, budgetMs: BUDGET_MS };
    expect(() => timeLeft(spent, TIMEOUT_MS, 'before the introspection request')).toThrow(
      expect.objectContaining({
        code: 'ERR_INTROSPECTION_REQUEST_FAILED',
        message: `the decision's ${BUDGET_MS} ms budget ran out before the introspection request`,
      }),
    );
    expect(timeLeft({ at: performance.now() + 10_000, budgetMs: BUDGET_MS }, TIMEOUT_MS, 'x')).toBe(TIMEOUT_MS);
  });
});
