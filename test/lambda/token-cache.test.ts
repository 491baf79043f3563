import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActiveToken } from '../../lambda/introspection-client.js';
import { TokenCache } from '../../lambda/token-cache.js';
import { httpApiEvent } from '../support/fixtures.js';
import { decisionLines } from '../support/log-capture.js';
import { type Peers, startPeers } from '../support/peers.js';

const now = 1_800_000_000_000;
const token = (exp?: number): ActiveToken => ({ jwt: 'h.p.s', sub: 'alice', clientId: 'c', scope: 'read', scopes: ['read'], exp });
const lifetimes = { maxTtlSeconds: 300, negativeTtlSeconds: 10 };

describe('TokenCache', () => {
  it('keeps an active token for the shortest of the max TTL, the server max-age and exp − now', () => {
    const cache = new TokenCache(10, lifetimes);
    cache.set('ttl', token(), undefined, now);
    cache.set('max-age', token(), 60, now);
    cache.set('exp', token(now / 1000 + 30), 60, now);
    expect(cache.get('ttl', now + 299_999)).toMatchObject({ sub: 'alice' });
    expect(cache.get('ttl', now + 300_000)).toBe('miss');
    expect(cache.get('max-age', now + 59_999)).toMatchObject({ sub: 'alice' });
    expect(cache.get('max-age', now + 60_000)).toBe('miss');
    expect(cache.get('exp', now + 29_999)).toMatchObject({ sub: 'alice' });
    expect(cache.get('exp', now + 30_000)).toBe('miss');
  });

  it('never stores a token that is already expired or that the server marks max-age=0', () => {
    const cache = new TokenCache(10, lifetimes);
    cache.set('expired', token(now / 1000 - 1), undefined, now);
    cache.set('no-store', token(), 0, now);
    expect(cache.size).toBe(0);
  });

  it('keeps an inactive answer for the negative TTL, bounded by max-age', () => {
    const cache = new TokenCache(10, lifetimes);
    cache.set('junk', undefined, undefined, now);
    cache.set('junk-short', undefined, 2, now);
    expect(cache.get('junk', now + 9_999)).toBeUndefined();
    expect(cache.get('junk', now + 10_000)).toBe('miss');
    expect(cache.get('junk-short', now + 2_000)).toBe('miss');
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const cache = new TokenCache(2, lifetimes);
    cache.set('a', token(), undefined, now);
    cache.set('b', token(), undefined, now);
    cache.get('a', now);
    cache.set('c', token(), undefined, now);
    expect(cache.size).toBe(2);
    expect(cache.get('b', now)).toBe('miss');
    expect(cache.get('a', now)).not.toBe('miss');
    expect(cache.get('c', now)).not.toBe('miss');
  });
});

describe('expiry against the real OAuth server', () => {
  let peers: Peers;
  beforeAll(async () => {
    peers = await startPeers({ accessTokenTtlSeconds: 2 });
  });
  afterAll(async () => {
    await peers.close();
  });

  it('never serves a cached JWT past its exp: the next call introspects and denies', async () => {
    const value = await peers.token('read');
    const authorizer = peers.authorizer();
    expect(await authorizer(httpApiEvent(`Bearer ${value}`))).toMatchObject({ isAuthorized: true });
    expect(await authorizer(httpApiEvent(`Bearer ${value}`))).toMatchObject({ isAuthorized: true });
    expect((await decisionLines()).at(-1)).toMatchObject({ cache: 'hit' });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await authorizer(httpApiEvent(`Bearer ${value}`))).toEqual({ isAuthorized: false });
    expect((await decisionLines()).at(-1)).toMatchObject({ cache: 'miss', reason: 'inactive' });
  });
});
