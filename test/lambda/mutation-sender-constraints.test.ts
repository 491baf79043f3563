import { hash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RequestPresentation } from '../../lambda/authorizer-event.js';
import { MAX_DPOP_PROOF_LENGTH } from '../../lambda/environment.js';
import { checkClientCertificate } from '../../lambda/sender-constraints/certificate.js';
import { ExpectedHtu } from '../../lambda/sender-constraints/dpop-htu.js';
import { checkDpopProof, type ProofExpectations } from '../../lambda/sender-constraints/dpop-proof.js';
import { ReplayCache } from '../../lambda/sender-constraints/replay-cache.js';
import { SenderConstraints } from '../../lambda/sender-constraints/sender-constraint.js';
import { type DpopKey, dpopKey, dpopProof } from '../support/dpop.js';

/**
 * Mutants of lambda/sender-constraints/ that survived `npx stryker run --mutate
 * "lambda/sender-constraints/**‍/*.ts"` (issue 25), killed by what happens to a proof or a
 * certificate: accepted, or denied with the reason the decision line and the metrics name.
 */
const TOKEN = 'an-access-token';
const POLICY = { algorithms: ['ES256'], maxAgeSeconds: 60 };
let key: DpopKey;
beforeAll(async () => {
  key = await dpopKey();
});

const presentation = (domainName: string | undefined, path: string | undefined): RequestPresentation => ({
  dpop: undefined,
  method: 'GET',
  domainName,
  path,
  clientCertPem: undefined,
});

/** What checking a proof for `htu` answers, for a GET to `domainName` + `path` (base URLs as DPOP_PUBLIC_BASE_URLS gives them). */
async function checkFor(domainName: string | undefined, path: string | undefined, htu: string, bases: [string, string][] = []) {
  const expected: ProofExpectations = {
    method: 'GET',
    htu: new ExpectedHtu(new Map(bases)).of(presentation(domainName, path)),
    tokenHash: hash('sha256', TOKEN, 'base64url'),
    jkt: key.jkt,
  };
  const check = await checkDpopProof(await dpopProof(key, { htm: 'GET', htu, token: TOKEN }), expected, POLICY);
  return check.ok ? 'accepted' : check.reason;
}

/** What checking a proof with these claims (over valid defaults for GET https://api.example.com/orders) answers. */
async function checkClaims(claims: Record<string, unknown>) {
  const htu = 'https://api.example.com/orders';
  const proof = await dpopProof(key, { htm: 'GET', htu, token: TOKEN, claims });
  const check = await checkDpopProof(proof, { method: 'GET', htu, tokenHash: hash('sha256', TOKEN, 'base64url'), jkt: key.jkt }, POLICY);
  return check.ok ? 'accepted' : check.reason;
}

describe('the URL a proof must name', () => {
  it('accepts the request’s own URL on a one-letter host label, an IPv6 host and a domain that merely ends in localhost (https)', async () => {
    expect(await checkFor('a.example.com', '/orders', 'https://a.example.com/orders')).toBe('accepted');
    expect(await checkFor('[2001:db8::1]', '/orders', 'https://[2001:db8::1]/orders')).toBe('accepted');
    expect(await checkFor('app.localhost', '/orders', 'https://app.localhost/orders')).toBe('accepted');
  });

  it('matches no proof when the event’s domain is not a host name, whatever URL the proof names', async () => {
    expect(await checkFor('api.example.com_x', '/orders', 'https://api.example.com_x/orders')).toBe('dpop_htu_mismatch');
    expect(await checkFor('_api.example.com', '/orders', 'https://_api.example.com/orders')).toBe('dpop_htu_mismatch');
  });

  it('matches no proof when the event’s path does not start with exactly one slash', async () => {
    expect(await checkFor('api.example.com', 'orders', 'https://api.example.comorders')).toBe('dpop_htu_mismatch');
    expect(await checkFor('api.example.com', '//evil.example/orders', 'https://api.example.com//evil.example/orders')).toBe(
      'dpop_htu_mismatch',
    );
  });

  it('drops every trailing slash of a public base URL before the event’s path', async () => {
    const bases: [string, string][] = [['api.example.com', 'https://public.example.com/v1//']];
    expect(await checkFor('api.example.com', '/orders', 'https://public.example.com/v1/orders', bases)).toBe('accepted');
  });

  it('denies a proof naming a URL with user info, even with the request’s host and path', async () => {
    expect(await checkFor('api.example.com', '/orders', 'https://user@api.example.com/orders')).toBe('dpop_htu_mismatch');
    expect(await checkFor('api.example.com', '/orders', 'https://:secret@api.example.com/orders')).toBe('dpop_htu_mismatch');
  });

  it('denies a proof whose htu is not a URL when the event tells no URL to compare it with', async () => {
    expect(await checkFor(undefined, '/orders', 'not a url')).toBe('dpop_htu_mismatch');
  });
});

describe('the proof’s claims', () => {
  it('refuses a proof whose htm or ath is not a string as invalid, not as another method or token', async () => {
    expect(await checkClaims({ htm: 7 })).toBe('invalid_dpop_proof');
    expect(await checkClaims({ ath: 7 })).toBe('invalid_dpop_proof');
  });

  it('accepts a jti of 256 characters and refuses one of 257', async () => {
    expect(await checkClaims({ jti: 'j'.repeat(256) })).toBe('accepted');
    expect(await checkClaims({ jti: 'j'.repeat(257) })).toBe('invalid_dpop_proof');
  });

  it('refuses a proof whose own exp has passed, though its iat is fresh', async () => {
    expect(await checkClaims({ exp: Math.floor(Date.now() / 1000) - 5 })).toBe('invalid_dpop_proof');
  });

  it('refuses a validly signed proof longer than MAX_DPOP_PROOF_LENGTH and accepts one of exactly that length', async () => {
    const htu = 'https://api.example.com/orders';
    const expectations = { method: 'GET', htu, tokenHash: hash('sha256', TOKEN, 'base64url'), jkt: key.jkt };
    // Pad a claim, and a header parameter (base64url skips some lengths), until the compact proof has the length wanted.
    const proofOf = async (length: number) => {
      for (let kid = 1; kid <= 4; kid += 1) {
        for (let pad = Math.floor((length * 3) / 4) - 700; ; pad += 1) {
          const proof = await dpopProof(key, {
            htm: 'GET',
            htu,
            token: TOKEN,
            claims: { pad: 'p'.repeat(pad) },
            header: { kid: 'k'.repeat(kid) },
          });
          if (proof.length === length) return proof;
          if (proof.length > length) break;
        }
      }
      throw new Error(`no proof of ${length} characters`);
    };
    expect((await checkDpopProof(await proofOf(MAX_DPOP_PROOF_LENGTH), expectations, POLICY)).ok).toBe(true);
    expect(await checkDpopProof(await proofOf(MAX_DPOP_PROOF_LENGTH + 1), expectations, POLICY)).toEqual({
      ok: false,
      reason: 'invalid_dpop_proof',
    });
  });

  it('names an empty DPoP header a missing proof', async () => {
    const check = await checkDpopProof('', { method: 'GET', htu: 'https://api.example.com/', tokenHash: 'h', jkt: key.jkt }, POLICY);
    expect(check).toEqual({ ok: false, reason: 'dpop_proof_missing' });
  });
});

describe('the client certificate', () => {
  it('names an empty certificate field a missing certificate', () => {
    expect(checkClientCertificate('', 'thumbprint')).toBe('client_cert_missing');
  });
});

describe('the replay cache', () => {
  it('still refuses a proof replayed at the very second its window ends, after another proof was claimed that second', () => {
    const cache = new ReplayCache(10);
    expect(cache.claim('first', 100, 40)).toBe(true);
    expect(cache.claim('second', 160, 100)).toBe(true);
    expect(cache.claim('first', 160, 100)).toBe(false);
  });
});

describe('a shared replay store that does not answer', () => {
  it('fails the request when the decision’s budget runs out, naming the step', async () => {
    const constraints = new SenderConstraints(
      {
        audience: undefined,
        apiAudiences: new Map(),
        senderConstrainedTokens: true,
        dpopAlgorithms: ['ES256'],
        dpopProofMaxAgeSeconds: 60,
        dpopPublicBaseUrls: new Map(),
      },
      { claim: () => new Promise<boolean>(() => {}) },
    );
    const htu = 'https://api.example.com/orders';
    const request = {
      presentation: { ...presentation('api.example.com', '/orders'), dpop: await dpopProof(key, { htm: 'GET', htu, token: TOKEN }) },
    };
    const token = { cnf: { jkt: key.jkt } };
    const checked = constraints.check(request as never, { scheme: 'DPoP', hash: hash('sha256', TOKEN, 'base64url') }, token as never, {
      at: performance.now() + 50,
      budgetMs: 50,
    });
    await expect(checked).rejects.toThrow("the decision's 50 ms budget ran out recording the DPoP proof");
  });
});
