import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway } from '../../local/http-api-gateway.js';
import { type PolicyStatement, policyAllows, policyDecision, WILDCARD_READINGS, type WildcardReading } from '../../local/iam-policy.js';
import { LambdaRunner } from '../../local/lambda-runner.js';
import type { LocalFunction, LocalRoute } from '../../local/template.js';

/**
 * The two readings of IAM wildcards the local gateways offer for an authorizer's policy answer
 * (local/iam-policy.ts): `*` and `?` across colons, or within ARN segments as "IAM JSON policy
 * elements: Resource" documents for resource ARNs.
 */
const API = 'arn:aws:execute-api:eu-west-1:123456789012:abcdefghij';
const PROFILE_OF_A_B = `${API}/prod/GET/users/a:b/profile`;
/** The issue's policy: everything under the stage, except any user's profile. */
const ISSUE_POLICY = [allow(`${API}/prod/*`), deny(`${API}/prod/GET/users/*/profile`)];

function allow(...resources: string[]): PolicyStatement {
  return { effect: 'Allow', actions: ['execute-api:Invoke'], resources };
}

function deny(...resources: string[]): PolicyStatement {
  return { effect: 'Deny', actions: ['execute-api:Invoke'], resources };
}

describe.each(WILDCARD_READINGS)('under the %s reading, an IAM policy', (reading) => {
  it('allows exactly the ARN it names', () => {
    const statements = [allow(`${API}/prod/GET/users`)];
    expect(policyDecision(statements, `${API}/prod/GET/users`, reading)).toBe('allow');
    expect(policyDecision(statements, `${API}/prod/GET/users/`, reading)).toBe('implicit-deny');
    expect(policyDecision(statements, `${API}/prod/GET/user`, reading)).toBe('implicit-deny');
  });

  it('lets a * inside a segment match any run of characters other than a colon, / included', () => {
    const statements = [allow(`${API}/prod/GET/users/*/profile`)];
    expect(policyDecision(statements, `${API}/prod/GET/users/42/profile`, reading)).toBe('allow');
    expect(policyDecision(statements, `${API}/prod/GET/users/42/x/profile`, reading)).toBe('allow');
    expect(policyDecision(statements, `${API}/prod/GET/users//profile`, reading)).toBe('allow');
    expect(policyDecision(statements, `${API}/prod/POST/users/42/profile`, reading)).toBe('implicit-deny');
  });

  it('lets a * at the end of the pattern match across colons', () => {
    expect(policyDecision([allow(`${API}/prod/*`)], PROFILE_OF_A_B, reading)).toBe('allow');
    expect(policyDecision([allow('*')], PROFILE_OF_A_B, reading)).toBe('allow');
  });

  it('lets a * that fills a whole ARN segment match that segment', () => {
    expect(policyDecision([allow('arn:aws:execute-api:*:*:abcdefghij/prod/GET/users')], `${API}/prod/GET/users`, reading)).toBe('allow');
    expect(policyDecision([allow('arn:aws:execute-api:us-*:*:abcdefghij/*')], `${API}/prod/GET/users`, reading)).toBe('implicit-deny');
  });

  it('lets a ? match exactly one character', () => {
    const statements = [allow(`${API}/prod/GET/users/?`)];
    expect(policyDecision(statements, `${API}/prod/GET/users/7`, reading)).toBe('allow');
    expect(policyDecision(statements, `${API}/prod/GET/users/77`, reading)).toBe('implicit-deny');
    expect(policyDecision(statements, `${API}/prod/GET/users/`, reading)).toBe('implicit-deny');
  });

  it('reads every other character literally, regular-expression characters and $default included', () => {
    const local = 'arn:aws:execute-api:us-east-1:000000000000:local/$default/GET/a.b(c)+';
    expect(policyDecision([allow(local)], local, reading)).toBe('allow');
    expect(policyDecision([allow(local)], 'arn:aws:execute-api:us-east-1:000000000000:local/$default/GET/axb(c)', reading)).toBe(
      'implicit-deny',
    );
  });

  it('applies a statement whose Action covers execute-api:Invoke, in any letter case or through a wildcard', () => {
    for (const action of ['execute-api:Invoke', 'EXECUTE-API:INVOKE', 'execute-api:*', '*', '*:Invoke', 'execute-api:Inv?ke']) {
      expect(policyDecision([{ effect: 'Allow', actions: [action], resources: ['*'] }], PROFILE_OF_A_B, reading)).toBe('allow');
    }
    for (const action of ['execute-api:ManageConnections', 'lambda:Invoke', 'execute-api:Invoke*x']) {
      expect(policyDecision([{ effect: 'Allow', actions: [action], resources: ['*'] }], PROFILE_OF_A_B, reading)).toBe('implicit-deny');
    }
  });

  it('lets an explicit Deny win over any Allow, and denies without a matching Allow', () => {
    expect(policyDecision([allow('*'), deny(`${API}/prod/GET/*`)], `${API}/prod/GET/users`, reading)).toBe('explicit-deny');
    expect(policyDecision([deny(`${API}/prod/POST/*`)], `${API}/prod/GET/users`, reading)).toBe('implicit-deny');
    expect(policyDecision([], `${API}/prod/GET/users`, reading)).toBe('implicit-deny');
  });

  it('lets a * followed by a colon match across colons', () => {
    expect(policyDecision([allow(`${API}/prod/GET/users/*:*/profile`)], `${API}/prod/GET/users/a:b:c/profile`, reading)).toBe('allow');
  });
});

describe('the two readings', () => {
  it('disagree on the issue example: a * inside a segment denies a:b only when it may cross colons', () => {
    expect(policyDecision(ISSUE_POLICY, PROFILE_OF_A_B, 'crosses-colons')).toBe('explicit-deny');
    expect(policyDecision(ISSUE_POLICY, PROFILE_OF_A_B, 'segments')).toBe('allow');
    // A user id without a colon is denied under both.
    expect(policyDecision(ISSUE_POLICY, `${API}/prod/GET/users/ab/profile`, 'crosses-colons')).toBe('explicit-deny');
    expect(policyDecision(ISSUE_POLICY, `${API}/prod/GET/users/ab/profile`, 'segments')).toBe('explicit-deny');
  });

  it('disagree on ? against a colon: one character under crosses-colons, never a colon under segments', () => {
    const statements = [allow(`${API}/prod/GET/users/a?b`)];
    expect(policyAllows(statements, `${API}/prod/GET/users/a:b`, 'crosses-colons')).toBe(true);
    expect(policyAllows(statements, `${API}/prod/GET/users/a:b`, 'segments')).toBe(false);
    expect(policyAllows(statements, `${API}/prod/GET/users/a-b`, 'segments')).toBe(true);
  });

  it('disagree on a * inside a segment that would have to swallow a colon', () => {
    const statements = [allow(`${API}/prod/GET/users/*:*/profile`)];
    // `*:` may cross; the `*` before `/profile` may not, so it cannot take `b:c`, but the first `*` can take `a:b`.
    expect(policyAllows(statements, `${API}/prod/GET/users/a:b:c/profile`, 'segments')).toBe(true);
    expect(policyAllows([allow(`${API}/prod/GET/users/a:*/profile`)], `${API}/prod/GET/users/a:b:c/profile`, 'segments')).toBe(false);
    expect(policyAllows([allow(`${API}/prod/GET/users/a:*/profile`)], `${API}/prod/GET/users/a:b:c/profile`, 'crosses-colons')).toBe(true);
  });

  it('default to crosses-colons', () => {
    expect(policyDecision(ISSUE_POLICY, PROFILE_OF_A_B)).toBe('explicit-deny');
    expect(policyAllows(ISSUE_POLICY, PROFILE_OF_A_B)).toBe(false);
  });

  it('are the only readings: any other value throws, naming the allowed ones and the value received', () => {
    expect(() => policyDecision(ISSUE_POLICY, PROFILE_OF_A_B, 'segment' as WildcardReading)).toThrow(
      new TypeError('wildcard reading must be one of crosses-colons, segments; received "segment"'),
    );
  });
});

/** The definitions of iam-policy.ts, written independently: a backtracking matcher, one character at a time. */
function specMatches(pattern: string, value: string, reading: WildcardReading): boolean {
  const from = (p: number, v: number): boolean => {
    if (p === pattern.length) return v === value.length;
    const char = pattern[p];
    if (char === '*') {
      const crosses = reading === 'crosses-colons' || p === pattern.length - 1 || pattern[p + 1] === ':';
      for (let end = v; end <= value.length; end++) {
        if (from(p + 1, end)) return true;
        if (!crosses && value[end] === ':') return false;
      }
      return false;
    }
    if (v === value.length) return false;
    if (char === '?') return (reading === 'crosses-colons' || value[v] !== ':') && from(p + 1, v + 1);
    return char === value[v] && from(p + 1, v + 1);
  };
  return from(0, 0);
}

const valueChar = fc.constantFrom('a', '/', ':');
const pattern = fc.string({ unit: fc.constantFrom('a', '/', ':', '*', '?'), maxLength: 8 });
/** A value at random, or the pattern with its wildcards filled in (so that many pairs match under at least one reading). */
const patternAndValue = fc
  .tuple(
    pattern,
    fc.array(fc.string({ unit: valueChar, maxLength: 3 }), { minLength: 8, maxLength: 8 }),
    fc.string({ unit: valueChar, maxLength: 8 }),
    fc.boolean(),
  )
  .map(([p, fills, random, fill]): [string, string] => [
    p,
    fill ? [...p].map((char, i) => (char === '*' ? fills[i] : char === '?' ? (fills[i]?.[0] ?? 'a') : char)).join('') : random,
  ]);

describe('the two readings, for any pattern and value over a, /, :, * and ?', () => {
  it('never match under segments what crosses-colons does not match', () => {
    let segmentsMatches = 0;
    let onlyCrossesColons = 0;
    fc.assert(
      fc.property(patternAndValue, ([p, value]) => {
        const segments = policyAllows([allow(p)], value, 'segments');
        const crosses = policyAllows([allow(p)], value, 'crosses-colons');
        if (segments) {
          segmentsMatches++;
          expect(crosses).toBe(true);
        } else if (crosses) onlyCrossesColons++;
      }),
      { numRuns: 3000 },
    );
    // Both sides of the implication were exercised, so the property could have failed.
    expect(segmentsMatches).toBeGreaterThan(100);
    expect(onlyCrossesColons).toBeGreaterThan(10);
  });

  it('match exactly as their definitions say', () => {
    fc.assert(
      fc.property(patternAndValue, fc.constantFrom(...WILDCARD_READINGS), ([p, value], reading) => {
        expect(policyAllows([allow(p)], value, reading)).toBe(specMatches(p, value, reading));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('the local HTTP API gateway', () => {
  const FUNCTIONS = `
exports.issuePolicy = async () => ({
  principalId: 'user-7',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:000000000000:local/$default/*' },
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: 'arn:aws:execute-api:us-east-1:000000000000:local/$default/GET/users/*/profile' },
    ],
  },
  context: {},
});
exports.ok = async () => ({ statusCode: 200, body: 'ok' });
`;
  let dir: string;
  const runners = new Map<string, LambdaRunner>();
  const gateways: LocalHttpApiGateway[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'iam-policy-'));
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(join(dir, 'index.js'), FUNCTIONS);
    for (const name of ['issuePolicy', 'ok']) {
      const fn: LocalFunction = { logicalId: name, assetDir: dir, handler: `index.${name}`, environment: {}, timeoutSeconds: 10 };
      runners.set(name, new LambdaRunner(fn, {}, () => {}));
    }
  });
  afterAll(async () => {
    for (const gateway of gateways) await gateway.close();
    for (const runner of runners.values()) runner.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function statusUnder(wildcardReading: WildcardReading | undefined, path: string): Promise<number> {
    const route: LocalRoute = {
      routeKey: 'GET /users/{id}/profile',
      method: 'GET',
      path: '/users/{id}/profile',
      authorizer: {
        logicalId: 'Auth',
        functionId: 'issuePolicy',
        identitySources: ['$request.header.x-key'],
        resultTtlSeconds: 0,
        simpleResponses: false,
        payloadFormatVersion: '2.0',
      },
      integration: { type: 'AWS_PROXY', functionId: 'ok', payloadFormatVersion: '2.0', requestParameters: {} },
    };
    const gateway = new LocalHttpApiGateway({ api: { logicalId: 'Api', routes: [route], functions: new Map() }, runners, wildcardReading });
    gateways.push(gateway);
    await gateway.start();
    return (await fetch(`${gateway.url}${path}`, { headers: { 'x-key': 'k' } })).status;
  }

  it('evaluates the authorizer policy under the wildcard reading it was given, crosses-colons by default', async () => {
    expect(await statusUnder(undefined, '/users/a:b/profile')).toBe(403);
    expect(await statusUnder('crosses-colons', '/users/a:b/profile')).toBe(403);
    expect(await statusUnder('segments', '/users/a:b/profile')).toBe(200);
    expect(await statusUnder('segments', '/users/ab/profile')).toBe(403);
  });
});

describe('npm start', () => {
  it('stops with an error naming IAM_WILDCARD_READING, the allowed values and the value received', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', resolve(__dirname, '../../local/start.ts')], {
      env: { ...process.env, IAM_WILDCARD_READING: 'segment', PORT: '0', OAUTH_PORT: '0', REST_PORT: '0' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'error: IAM_WILDCARD_READING must be one of crosses-colons, segments (default crosses-colons); received "segment".',
    );
    expect(result.stdout).toBe('');
  });
});
