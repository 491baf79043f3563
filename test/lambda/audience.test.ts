import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { loadConfig } from '../../lambda/config.js';
import { DEFAULT_RESOURCE } from '../../local/oauth-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type FaultServer, fakeJwt, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

let server: FaultServer;
let secrets: LocalSecretsManager;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  server = await startFaultServer();
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('audience/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('audience-client-secret') }));
});
afterAll(async () => {
  await server.close();
  await secrets.close();
});

/** The introspection answer for every token from now on: a phantom JWT with these claims. */
function claims(extra: Record<string, unknown>): void {
  server.mode = 'body';
  server.body = {
    contentType: 'application/jwt',
    text: rememberSecret(fakeJwt({ sub: 'alice', scope: 'read', exp: now() + 600, ...extra })),
  };
}

const authorizer = (env: Record<string, string> = {}) =>
  createAuthorizer({ INTROSPECTION_ENDPOINT: server.url, CLIENT_CREDENTIALS_SECRET: 'audience/client', ...env });

let tokens = 0;
const bearer = () => `Bearer ${rememberSecret(`audience-token-${++tokens}-abcdef`)}`;
const introspections = () => server.requests.filter((request) => request.body.startsWith('token=')).length;
const lastLine = async () => (await decisionLines()).at(-1);

describe('audience (RFC 9068 §4)', () => {
  it('allows a token whose aud array holds the required audience', async () => {
    claims({ aud: ['https://other.example.com', 'https://orders.example.com'] });
    const response = await authorizer({ AUDIENCE: 'https://orders.example.com' })(httpApiEvent(bearer()));
    expect(response).toMatchObject({ isAuthorized: true });
  });

  it('allows a token whose aud string is the required audience', async () => {
    claims({ aud: 'https://orders.example.com' });
    const response = await authorizer({ AUDIENCE: 'https://orders.example.com' })(httpApiEvent(bearer()));
    expect(response).toMatchObject({ isAuthorized: true });
  });

  it('denies a token minted for another API as an invalid token, and the decision line says wrong_audience', async () => {
    claims({ aud: ['https://payments.example.com'] });
    const handler = authorizer({ AUDIENCE: 'https://orders.example.com' });
    expect(await handler(httpApiEvent(bearer()))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'wrong_audience' });
    await expect(handler(restEvent(bearer()))).rejects.toThrow(/^Unauthorized$/);
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'wrong_audience' });
  });

  it('compares audiences exactly: no prefix, case or trailing-slash leniency', async () => {
    const handler = authorizer({ AUDIENCE: 'https://orders.example.com' });
    for (const aud of [
      'https://orders.example.com/',
      'HTTPS://ORDERS.EXAMPLE.COM',
      'https://orders.example.co',
      'https://orders.example.com.evil',
    ]) {
      claims({ aud });
      expect(await handler(httpApiEvent(bearer()))).toEqual({ isAuthorized: false });
    }
  });

  it('denies a token without aud when an audience is required', async () => {
    claims({});
    expect(await authorizer({ AUDIENCE: 'orders' })(httpApiEvent(bearer()))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ reason: 'wrong_audience' });
  });

  it('checks no audience when none is configured', async () => {
    claims({ aud: 'anything' });
    expect(await authorizer()(httpApiEvent(bearer()))).toMatchObject({ isAuthorized: true });
  });

  it('checks a cached token against the audience of each API it is presented to, without a second introspection', async () => {
    claims({ aud: ['orders'] });
    const handler = authorizer({ AUDIENCE: 'orders', API_AUDIENCES: JSON.stringify({ s4x3opwd6i: 'payments' }) });
    const header = bearer();
    const before = introspections();
    // httpApiEvent's API id is api-id (the default audience applies); restEvent's is s4x3opwd6i.
    expect(await handler(httpApiEvent(header))).toMatchObject({ isAuthorized: true });
    await expect(handler(restEvent(header))).rejects.toThrow(/^Unauthorized$/);
    expect(await lastLine()).toMatchObject({ reason: 'wrong_audience', cache: 'hit' });
    expect(introspections() - before).toBe(1);
  });

  it('denies every token on an API that API_AUDIENCES leaves out when AUDIENCE is unset (wrong_audience), and allows the mapped API', async () => {
    // restEvent's API id is s4x3opwd6i (mapped); httpApiEvent's is api-id (not mapped).
    claims({ aud: ['payments', 'orders'] });
    const handler = authorizer({ API_AUDIENCES: JSON.stringify({ s4x3opwd6i: 'payments' }) });
    expect(await handler(restEvent(bearer()))).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] } });
    expect(await lastLine()).toMatchObject({ outcome: 'allow' });
    expect(await handler(httpApiEvent(bearer()))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'wrong_audience' });
    claims({});
    expect(await handler(httpApiEvent(bearer()))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'wrong_audience' });
  });

  it('reports an aud that is neither a string nor an array of strings as an invalid answer (500), not a deny', async () => {
    const handler = authorizer({ AUDIENCE: 'orders' });
    for (const aud of [42, ['orders', 7], { orders: true }, null]) {
      claims({ aud });
      await expect(handler(httpApiEvent(bearer()))).rejects.toMatchObject({
        code: 'ERR_INTROSPECTION_RESPONSE_INVALID',
        message: expect.stringMatching(/claim aud must be a string or an array of strings/),
      });
    }
  });
});

describe('audience configuration', () => {
  const base = { INTROSPECTION_ENDPOINT: 'https://idp.example.com/introspect', CLIENT_CREDENTIALS_SECRET: 'secret' };

  it('reads AUDIENCE and API_AUDIENCES', () => {
    const config = loadConfig({ ...base, AUDIENCE: 'orders', API_AUDIENCES: '{"abc123":"payments"}' });
    expect(config.audience).toBe('orders');
    expect([...config.apiAudiences]).toEqual([['abc123', 'payments']]);
  });

  it.each([
    ['not json', 'API_AUDIENCES must be a JSON object; received a value that is not JSON'],
    ['["a"]', 'API_AUDIENCES must be a JSON object; received ["a"]'],
    ['{"abc":""}', 'API_AUDIENCES["abc"] must be a non-empty string; received ""'],
    ['{"abc":3}', 'API_AUDIENCES["abc"] must be a non-empty string; received 3'],
  ])('refuses API_AUDIENCES %j', (value, message) => {
    expect(() => loadConfig({ ...base, API_AUDIENCES: value })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIGURATION_INVALID', message }),
    );
  });
});

describe('audience per API against a real OAuth server', () => {
  let peers: Peers;
  let previousEndpoint: string | undefined;
  beforeAll(async () => {
    previousEndpoint = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    peers = await startPeers();
  });
  afterAll(async () => {
    await peers.close();
    if (previousEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = previousEndpoint;
  });

  it('denies a real token on an API that API_AUDIENCES leaves out when AUDIENCE is unset, and allows it on the API mapped to its aud', async () => {
    // Tokens of the local OAuth server hold aud DEFAULT_RESOURCE; restEvent's API is s4x3opwd6i, httpApiEvent's api-id.
    const handler = peers.authorizer({ API_AUDIENCES: JSON.stringify({ s4x3opwd6i: DEFAULT_RESOURCE }) });
    const token = await peers.token('read write');
    const allowed = await handler(restEvent(`Bearer ${token}`));
    const jwt = (allowed as { context?: { jwt?: string } }).context?.jwt;
    if (jwt !== undefined) rememberSecret(jwt);
    expect(allowed).toMatchObject({ policyDocument: { Statement: [{ Effect: 'Allow' }] } });
    expect(await handler(httpApiEvent(`Bearer ${token}`))).toEqual({ isAuthorized: false });
    expect(await lastLine()).toMatchObject({ outcome: 'deny', reason: 'wrong_audience', cache: 'hit' });
  });
});
