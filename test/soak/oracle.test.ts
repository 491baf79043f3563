import { describe, expect, it } from 'vitest';
import { judge, type OracleInput } from '../../soak/oracle.js';
import type { CacheWindows, IntrospectionRecord, InvocationRecord, RequestRecord, RouteKey, TokenRecord } from '../../soak/records.js';

// Times in ms; the token expires at 100 s. Caches: API Gateway 2 s, function 4 s, negative 2 s.
const WINDOWS: CacheWindows = { resultsCacheTtlSeconds: 2, cacheMaxTtlSeconds: 4, negativeCacheTtlSeconds: 2 };
const EXP = 100_000;

function token(label: string, fields: Partial<TokenRecord> = {}): TokenRecord {
  return { label, kind: 'valid', hash: `hash-${label}`, scopes: ['read', 'write'], expMs: EXP, ...fields };
}

let nextId = 0;
function request(label: string, sentMs: number, receivedMs: number | undefined, status: number | undefined, route: RouteKey = 'GET /echo') {
  return {
    id: nextId++,
    label,
    route,
    sentMs,
    receivedMs,
    status,
    burst: false,
    latencyMs: receivedMs && receivedMs - sentMs,
  } as RequestRecord;
}

function invocation(trigger: RequestRecord, startMs: number, endMs: number, outcome: InvocationRecord['outcome']): InvocationRecord {
  return { requestId: trigger.id, instance: 0, startMs, endMs, outcome };
}

function active(label: string, receivedMs: number, answeredMs: number): IntrospectionRecord {
  return { tokenHash: `hash-${label}`, receivedMs, answeredMs, result: 'active' };
}

function run(input: Partial<OracleInput>) {
  return judge({ tokens: [], requests: [], invocations: [], introspections: [], faults: [], windows: WINDOWS, ...input });
}

describe('the soak oracle', () => {
  it('accepts an allow of a live token with the route scope, introspected by its own invocation', () => {
    const r = request('a', 1000, 1010, 200);
    const result = run({ tokens: [token('a')], requests: [r], invocations: [invocation(r, 1001, 1009, 'allow')] });
    expect(result).toMatchObject({ requests: 1, allows: 1, wrongAllows: 0, wrongDenies: 0, lost: 0 });
  });

  it('accepts an allow of a revoked token while API Gateway may hold the answer, and counts one after that as wrong', () => {
    const revoked = token('a', { kind: 'revoked', revokeStartMs: 2000, revokeEndMs: 2010 });
    const first = request('a', 1000, 1010, 200);
    const withinTtl = request('a', 1010 + 1999, 3010, 200); // sent before the triggering answer arrived + 2 s
    const pastTtl = request('a', 1010 + 2000, 3011, 200); // sent when the gateway's entry had surely expired
    const result = run({
      tokens: [revoked],
      requests: [first, withinTtl, pastTtl],
      invocations: [invocation(first, 1001, 1009, 'allow')],
    });
    expect(result.wrongAllows).toBe(1);
    expect(result.verdicts).toEqual([expect.objectContaining({ requestId: pastTtl.id, kind: 'wrong-allow' })]);
  });

  it('accepts an allow from a policy answer cached for another route only when the entry serves every route, and never for a route the token lacks scopes for', () => {
    const readOnly = token('a', { scopes: ['read'] });
    const post = request('a', 1000, 1010, 403, 'POST /echo'); // its policy denies POST, allows GET
    const get = request('a', 1500, 1510, 200, 'GET /echo'); // no invocation of its own: the gateway's entry answered
    const postAgain = request('a', 1600, 1610, 200, 'POST /echo'); // allowed, though the token may not
    const policy: InvocationRecord = { ...invocation(post, 1001, 1009, 'deny'), allowedRoutes: ['GET /echo'] };
    const input = { tokens: [readOnly], requests: [post, get, postAgain], invocations: [policy] };
    expect(run({ ...input, windows: { ...WINDOWS, acrossRoutes: true } }).verdicts).toEqual([
      expect.objectContaining({ requestId: postAgain.id, kind: 'wrong-allow' }),
    ]);
    // Per-route entries: the POST's answer cannot have served the GET.
    expect(run(input).verdicts.map((verdict) => [verdict.requestId, verdict.kind])).toEqual([
      [get.id, 'wrong-allow'],
      [postAgain.id, 'wrong-allow'],
    ]);
    // An answer that allowed a route the token lacks scopes for is itself counted.
    const overreach: InvocationRecord = { ...invocation(post, 1001, 1009, 'allow'), allowedRoutes: ['GET /echo', 'POST /echo'] };
    expect(run({ ...input, invocations: [overreach], windows: { ...WINDOWS, acrossRoutes: true } }).wrongInvocationAllows).toBe(1);
  });

  it("accepts a revoked token's allow from the function's cache until the entry from the last active answer expires", () => {
    const revoked = token('a', { kind: 'revoked', revokeStartMs: 2000, revokeEndMs: 2010 });
    const first = request('a', 1000, 1010, 200);
    const cached = request('a', 5007, 5012, 200);
    const expired = request('a', 5009, 5020, 200, 'POST /echo'); // another route: API Gateway holds no answer for it
    const result = run({
      tokens: [revoked],
      requests: [first, cached, expired],
      // The proxy answered active at 1005, inside the first invocation, which ended at 1009: the entry lives until 5009 at most.
      introspections: [active('a', 1002, 1005)],
      invocations: [
        invocation(first, 1001, 1009, 'allow'),
        invocation(cached, 5008, 5009, 'allow'),
        invocation(expired, 5009, 5010, 'allow'),
      ],
    });
    expect(result.verdicts).toEqual([expect.objectContaining({ requestId: expired.id, kind: 'wrong-allow' })]);
    expect(result.wrongInvocationAllows).toBe(1);
  });

  it('counts an allow by an invocation that started at or after exp as wrong (the function never serves a JWT past exp)', () => {
    const expiring = token('a', { kind: 'expiring', expMs: 3000 });
    const before = request('a', 2990, 3005, 200);
    const after = request('a', 3000, 3010, 200);
    const result = run({
      tokens: [expiring],
      requests: [before, after],
      introspections: [active('a', 2991, 2992)],
      invocations: [invocation(before, 2999, 3001, 'allow'), invocation(after, 3000, 3002, 'allow')],
      windows: { ...WINDOWS, resultsCacheTtlSeconds: 0 }, // no gateway cache, which may serve past exp
    });
    expect(result.verdicts).toEqual([expect.objectContaining({ requestId: after.id, kind: 'wrong-allow' })]);
  });

  it('accepts an allow past exp from API Gateway’s cache, as documented, for one results-cache TTL', () => {
    const expiring = token('a', { kind: 'expiring', expMs: 3000 });
    const trigger = request('a', 2990, 2999, 200);
    const cachedPastExp = request('a', 4500, 4505, 200);
    const result = run({ tokens: [expiring], requests: [trigger, cachedPastExp], invocations: [invocation(trigger, 2991, 2998, 'allow')] });
    expect(result.wrongAllows).toBe(0);
  });

  it('counts an allow on a route whose scope the token lacks, and any allow of junk, as wrong', () => {
    const reader = token('r', { scopes: ['read'] });
    const junk = token('j', { kind: 'junk', scopes: [], expMs: undefined });
    const post = request('r', 1000, 1010, 200, 'POST /echo');
    const junkAllowed = request('j', 1000, 1010, 200);
    const result = run({
      tokens: [reader, junk],
      requests: [post, junkAllowed],
      invocations: [invocation(post, 1001, 1009, 'allow'), invocation(junkAllowed, 1001, 1009, 'allow')],
    });
    expect(result.wrongAllows).toBe(2);
  });

  it('does not let a request borrow another route’s cached answer', () => {
    const reader = token('r', { scopes: ['read', 'write'] });
    const get = request('r', 1000, 1010, 200, 'GET /echo');
    const post = request('r', 1100, 1110, 200, 'POST /echo');
    const result = run({ tokens: [reader], requests: [get, post], invocations: [invocation(get, 1001, 1009, 'allow')] });
    expect(result.verdicts).toEqual([expect.objectContaining({ requestId: post.id, kind: 'wrong-allow' })]);
  });

  it('with the results cache off, does not let a concurrent request borrow another one’s invocation', () => {
    const a = token('a');
    const first = request('a', 1000, 1010, 200);
    const concurrent = request('a', 1001, 1011, 200);
    const result = run({
      tokens: [a],
      requests: [first, concurrent],
      invocations: [invocation(first, 1001, 1009, 'allow')],
      windows: { ...WINDOWS, resultsCacheTtlSeconds: 0 },
    });
    expect(result.verdicts).toEqual([expect.objectContaining({ requestId: concurrent.id, kind: 'wrong-allow' })]);
  });

  it('counts a deny of a surely active token as wrong, apart from one in a failure window, and not once revocation was sent', () => {
    const a = token('a', { kind: 'revoked', revokeStartMs: 5000, revokeEndMs: 5010 });
    const wrong = request('a', 1000, 1010, 403);
    const inWindow = request('a', 2000, 2010, 403);
    const afterRevocationSent = request('a', 4990, 5001, 403);
    const result = run({
      tokens: [a],
      requests: [wrong, inWindow, afterRevocationSent],
      faults: [{ kind: 'stall', startMs: 2005, endMs: 2500 }],
    });
    expect(result).toMatchObject({ wrongDenies: 1, wrongDeniesInFailureWindows: 1, denies: 3 });
  });

  it('permits a 500 only when the request overlaps a failure window; a slow identity server is not one', () => {
    const a = token('a');
    const inStall = request('a', 1990, 2600, 500);
    const inSlow = request('a', 3000, 3100, 500);
    const after = request('a', 2501, 2510, 500);
    const result = run({
      tokens: [a],
      requests: [inStall, inSlow, after],
      faults: [
        { kind: 'stall', startMs: 2000, endMs: 2500 },
        { kind: 'slow', startMs: 2900, endMs: 3500 },
      ],
    });
    expect(result).toMatchObject({ errors: 3, errorsInFailureWindows: 1, errorsOutsideFailureWindows: 2 });
  });

  it('counts a request without an answer as lost, and anything but 401 for a request without a token as unexpected', () => {
    const missing = token('missing', { kind: 'missing', hash: undefined, scopes: [], expMs: undefined });
    const a = token('a');
    const result = run({
      tokens: [missing, a],
      requests: [request('a', 1000, undefined, undefined), request('missing', 1000, 1001, 401), request('missing', 1000, 1001, 403)],
    });
    expect(result).toMatchObject({ lost: 1, unexpected: 1, answered: 2 });
  });

  describe('with the REST API beside the HTTP API', () => {
    const rest = (r: RequestRecord): RequestRecord => ({ ...r, api: 'rest' });

    it('takes a 401 from REST as a deny (its authorizer answers an inactive token Unauthorized), and a 401 from the HTTP API as unexpected', () => {
      const junk = token('j', { kind: 'junk', scopes: [], expMs: undefined });
      const result = run({ tokens: [junk], requests: [rest(request('j', 1000, 1010, 401)), request('j', 1000, 1010, 401)] });
      expect(result).toMatchObject({ denies: 1, unexpected: 1, wrongAllows: 0 });
    });

    it('never lets one API’s cached answer serve the other API', () => {
      const revoked = token('a', { kind: 'revoked', revokeStartMs: 2000, revokeEndMs: 2010 });
      const first = request('a', 1000, 1010, 200);
      const otherApi = rest(request('a', 2500, 2510, 200)); // within the HTTP API entry's TTL, but REST has its own cache
      const result = run({ tokens: [revoked], requests: [first, otherApi], invocations: [invocation(first, 1001, 1009, 'allow')] });
      expect(result.verdicts).toEqual([expect.objectContaining({ requestId: otherApi.id, kind: 'wrong-allow' })]);
    });

    it('ends a REST entry at a flush of the stage: an allow sent after it is wrong, one sent before it is not', () => {
      const revoked = token('a', { kind: 'revoked', revokeStartMs: 2000, revokeEndMs: 2010 });
      const first = rest(request('a', 1000, 1010, 200));
      const beforeFlush = rest(request('a', 2040, 2045, 200));
      const afterFlush = rest(request('a', 2060, 2065, 200));
      const input = {
        tokens: [revoked],
        requests: [first, beforeFlush, afterFlush],
        invocations: [invocation(first, 1001, 1009, 'allow')],
      };
      expect(run(input).wrongAllows).toBe(0); // without the flush, the 2 s TTL covers both
      expect(run({ ...input, flushes: [2050] }).verdicts).toEqual([
        expect.objectContaining({ requestId: afterFlush.id, kind: 'wrong-allow' }),
      ]);
      // A flush before the entry was stored does not end it.
      expect(run({ ...input, flushes: [1005] }).wrongAllows).toBe(0);
    });
  });

  describe('with push revocation (memoryTtlSeconds)', () => {
    const PUSH: CacheWindows = { ...WINDOWS, memoryTtlSeconds: 1 };

    it('permits an allow from an instance’s memory only until the memory bound after the mark, though the function cache’s entry lives on', () => {
      const revoked = token('a', { kind: 'revoked', revokeStartMs: 2000, revokeEndMs: 2010 });
      const first = request('a', 1000, 1010, 200);
      const withinBound = request('a', 3000, 3005, 200, 'POST /echo');
      const pastBound = request('a', 3300, 3305, 200); // GET: API Gateway's entry of `first` expired at 3010
      const input = {
        tokens: [revoked],
        requests: [first, withinBound, pastBound],
        introspections: [active('a', 1002, 1005)], // the entry lives until 5009
        invocations: [
          invocation(first, 1001, 1009, 'allow'),
          invocation(withinBound, 3001, 3002, 'allow'),
          invocation(pastBound, 3301, 3302, 'allow'),
        ],
      };
      // Without push: both within the function cache's 4 s.
      expect(run(input).wrongAllows).toBe(0);
      // Marked at 2200: instances re-read the table by 2200 + 1 s (no invocation of the token was in flight then).
      const marked = run({ ...input, windows: PUSH, marks: [{ tokenHash: 'hash-a', markedMs: 2200 }] });
      expect(marked.verdicts).toEqual([expect.objectContaining({ requestId: pastBound.id, kind: 'wrong-allow' })]);
      expect(marked.wrongInvocationAllows).toBe(1);
      // No mark (the push failed): the caches' windows alone.
      expect(run({ ...input, windows: PUSH }).wrongAllows).toBe(0);
    });

    it('counts the memory bound from the end of an invocation of the token in flight at the mark, which may store its answer then', () => {
      const revoked = token('a', { kind: 'revoked', revokeStartMs: 2000, revokeEndMs: 2010 });
      const slow = request('a', 2100, 2900, 200);
      const later = request('a', 3700, 3705, 200, 'POST /echo');
      const result = run({
        tokens: [revoked],
        requests: [slow, later],
        introspections: [active('a', 2101, 2105)],
        invocations: [invocation(slow, 2100, 2890, 'allow'), invocation(later, 3701, 3702, 'allow')],
        windows: PUSH,
        marks: [{ tokenHash: 'hash-a', markedMs: 2200 }],
      });
      // In flight at the mark until 2890: its answer may sit in memory until 3890.
      expect(result.wrongAllows).toBe(0);
    });
  });
});
