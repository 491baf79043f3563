import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { type SilentListener, startSilentListener } from '../support/fault-server.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines, warningLines } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

/** Settles as `promise` does, or fails the test once it has waited `ms`: a hang must fail, not time the suite out. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function until(condition: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let peers: Peers;
beforeAll(async () => {
  peers = await startPeers();
});
afterAll(async () => {
  await peers.close();
});

describe('a Secrets Manager endpoint that accepts connections and never answers', () => {
  let silent: SilentListener;
  beforeAll(async () => {
    silent = await startSilentListener();
  });
  afterAll(async () => {
    await silent.close();
  });

  it('fails the first request (500, credentials unavailable) within INTROSPECTION_TIMEOUT_MS of the read, never denies', async () => {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = silent.url;
    const authorizer = createAuthorizer({
      INTROSPECTION_ENDPOINT: peers.oauth.phantomIntrospectionEndpoint,
      CLIENT_CREDENTIALS_SECRET: peers.secretArn,
      INTROSPECTION_TIMEOUT_MS: '300',
    });
    const token = await peers.token('read');
    const started = Date.now();
    await expect(within(2_000, authorizer(httpApiEvent(`Bearer ${token}`)))).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
      message: `could not read the secret CLIENT_CREDENTIALS_SECRET names: Secrets Manager did not answer within 300 ms`,
    });
    expect(Date.now() - started).toBeLessThan(1_100);
    expect(silent.accepted).toBeGreaterThan(0);
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'error', reason: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE' });
    // The next request reads again, just as bounded.
    await expect(within(2_000, authorizer(httpApiEvent(`Bearer ${token}`)))).rejects.toMatchObject({
      code: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
    });
  });
});

describe('a scheduled re-read against an endpoint that stops answering', () => {
  let relay: SilentListener;
  beforeAll(async () => {
    relay = await startSilentListener(new URL(peers.secrets.endpoint).host);
  });
  afterAll(async () => {
    await relay.close();
  });

  it('serves every warm request at once with the credentials in hand, re-reads in the background, and warns when that read times out', async () => {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = relay.url;
    const authorizer = peers.authorizer({ SECRET_REFRESH_SECONDS: '1', CACHE_MAX_TTL_SECONDS: '0', INTROSPECTION_TIMEOUT_MS: '300' });
    const event = httpApiEvent(`Bearer ${await peers.token('read')}`);
    expect(await within(2_000, authorizer(event))).toMatchObject({ isAuthorized: true });
    await sleep(1_100);
    const warningsBefore = (await warningLines()).length;
    relay.silent = true;
    // Due for a re-read, which hangs: no request waits for it, not even the one that starts it.
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      expect(await within(2_000, authorizer(event))).toMatchObject({ isAuthorized: true });
      expect(Date.now() - started).toBeLessThan(250);
    }
    await until(async () => (await warningLines()).length > warningsBefore);
    expect((await warningLines()).slice(warningsBefore)).toEqual([
      {
        warning: 'ERR_CLIENT_CREDENTIALS_UNAVAILABLE',
        message: expect.stringMatching(
          /^could not read the secret CLIENT_CREDENTIALS_SECRET names: Secrets Manager did not answer within 300 ms; keeping the credentials read \d+ s ago, next attempt in 1 s$/,
        ),
      },
    ]);
    expect(await within(2_000, authorizer(event))).toMatchObject({ isAuthorized: true });
    // Once the endpoint answers again, the next scheduled re-read succeeds and nothing more is said.
    relay.silent = false;
    const readsBefore = peers.secrets.reads;
    await sleep(1_100);
    expect(await within(2_000, authorizer(event))).toMatchObject({ isAuthorized: true });
    await until(async () => peers.secrets.reads > readsBefore);
    expect((await warningLines()).length).toBe(warningsBefore + 1);
  });
});
