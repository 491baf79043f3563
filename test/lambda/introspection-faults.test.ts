import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthorizer } from '../../lambda/authorizer.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { type FaultMode, type FaultServer, startFaultServer } from '../support/fault-server.js';
import { httpApiEvent, restEvent } from '../support/fixtures.js';
import { decisionLines, rememberSecret } from '../support/log-capture.js';

let server: FaultServer;
let secrets: LocalSecretsManager;
let authorizer: ReturnType<typeof createAuthorizer>;

beforeAll(async () => {
  server = await startFaultServer();
  secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  secrets.put('faults/client', JSON.stringify({ client_id: 'authorizer', client_secret: rememberSecret('fault-client-secret') }));
});
afterAll(async () => {
  await server.close();
  await secrets.close();
});
beforeEach(() => {
  authorizer = createAuthorizer({
    INTROSPECTION_ENDPOINT: server.url,
    CLIENT_CREDENTIALS_SECRET: 'faults/client',
    INTROSPECTION_TIMEOUT_MS: '300',
    ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'] }),
  });
});

describe('when the OAuth server cannot give an answer, the authorizer fails (500) and caches nothing', () => {
  it.each<[FaultMode, RegExp]>([
    ['reset', /failed|cut off/],
    ['stall', /did not answer within 300 ms/],
    ['status-500', /unexpected status 500/],
    ['status-503', /unexpected status 503/],
    ['status-302', /unexpected status 302/],
    ['html', /neither a JWT nor/],
    ['huge', /more than 65536 bytes/],
  ])('%s', async (mode, message) => {
    server.mode = mode;
    const started = Date.now();
    await expect(authorizer(httpApiEvent('Bearer fault-token'))).rejects.toThrow(message);
    // REST must see an error other than "Unauthorized", which API Gateway would turn into a 401.
    await expect(authorizer(restEvent('Bearer fault-token'))).rejects.toSatisfy(
      (error: Error) => error.message !== 'Unauthorized' && message.test(error.message),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await decisionLines()).at(-1)).toMatchObject({ outcome: 'error', cache: 'miss' });
    server.mode = 'jwt-chunked';
    expect(await authorizer(httpApiEvent('Bearer fault-token'))).toMatchObject({ isAuthorized: true });
  });

  it('connection refused', async () => {
    const refused = createAuthorizer({
      INTROSPECTION_ENDPOINT: 'http://127.0.0.1:9/introspect',
      CLIENT_CREDENTIALS_SECRET: 'faults/client',
    });
    await expect(refused(httpApiEvent('Bearer fault-token'))).rejects.toMatchObject({
      code: 'ERR_INTROSPECTION_REQUEST_FAILED',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('invalid_client after re-reading the secret and retrying once', async () => {
    server.mode = 'invalid-client';
    const before = server.requests.length;
    await expect(authorizer(httpApiEvent('Bearer fault-token'))).rejects.toMatchObject({ code: 'ERR_CLIENT_CREDENTIALS_REJECTED' });
    expect(server.requests.length - before).toBe(2);
  });
});

describe('answers the OAuth server can give', () => {
  it('reads a chunked JWT response (no Content-Length) and honours its max-age', async () => {
    server.mode = 'jwt-chunked';
    expect(await authorizer(httpApiEvent('Bearer chunked-token'))).toMatchObject({
      isAuthorized: true,
      context: { sub: 'alice', scope: 'read write' },
    });
  });

  it.each<FaultMode>(['inactive-json', 'inactive-204'])('denies on %s', async (mode) => {
    server.mode = mode;
    expect(await authorizer(httpApiEvent('Bearer inactive-token'))).toEqual({ isAuthorized: false });
    await expect(authorizer(restEvent('Bearer inactive-token'))).rejects.toThrow(/^Unauthorized$/);
  });

  it('denies a JWT whose exp has passed, even though the server called it active', async () => {
    server.mode = 'jwt-expired';
    expect(await authorizer(httpApiEvent('Bearer expired-token'))).toEqual({ isAuthorized: false });
    expect((await decisionLines()).at(-1)).toMatchObject({ reason: 'inactive' });
  });

  it('caches an inactive answer for NEGATIVE_CACHE_TTL_SECONDS only, and not at all when it is 0', async () => {
    server.mode = 'inactive-204';
    const before = server.requests.length;
    await authorizer(httpApiEvent('Bearer junk-flood'));
    await authorizer(httpApiEvent('Bearer junk-flood'));
    expect(server.requests.length - before).toBe(1);
    const uncached = createAuthorizer({
      INTROSPECTION_ENDPOINT: server.url,
      CLIENT_CREDENTIALS_SECRET: 'faults/client',
      NEGATIVE_CACHE_TTL_SECONDS: '0',
    });
    await uncached(httpApiEvent('Bearer junk-flood'));
    await uncached(httpApiEvent('Bearer junk-flood'));
    expect(server.requests.length - before).toBe(3);
  });
});
