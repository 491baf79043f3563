import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arnPrefix } from '../../lambda/routes/policy-answer.js';
import { colonVariants, globMatches, globMeetsRoute, routeGlobs, trailingSlashGlob } from '../../lambda/routes/route-patterns.js';
import { policyAllows, WILDCARD_READINGS } from '../../local/iam-policy.js';

describe('route globs', () => {
  it('write a path variable as *, and ANY and $default as one glob per known method their routes do not take', () => {
    expect(routeGlobs('GET /orders/{id}/items/{proxy+}')).toEqual(['GET/orders/*/items/*']);
    expect(routeGlobs('GET /orders/{id}/items')).toEqual(['GET/orders/*/items']);
    expect(routeGlobs('ANY /orders', ['GET', 'OPTIONS', 'HEAD', 'PATCH', 'PUT'])).toEqual(['DELETE/orders', 'POST/orders']);
    expect(routeGlobs('GET /')).toEqual(['GET/']);
    expect(routeGlobs('$default')).toEqual(['DELETE/*', 'GET/*', 'HEAD/*', 'OPTIONS/*', 'PATCH/*', 'POST/*', 'PUT/*']);
  });

  it('spell a trailing slash only where the glob does not already match it', () => {
    expect(trailingSlashGlob('GET/orders/*/items')).toBe('GET/orders/*/items/');
    expect(trailingSlashGlob('GET/orders/*')).toBeUndefined();
    expect(trailingSlashGlob('GET/')).toBeUndefined();
  });

  it('find that * crosses /: GET /orders/{id} reaches GET /orders/{id}/items, not the other way round', () => {
    expect(globMeetsRoute('GET/orders/*', 'GET /orders/{id}/items')).toBe(true);
    expect(globMeetsRoute('GET/orders/*/items', 'GET /orders/{id}')).toBe(false);
    expect(globMeetsRoute('GET/orders/*', 'GET /{proxy+}')).toBe(true);
    expect(globMeetsRoute('GET/orders/*', 'POST /orders/{id}')).toBe(false);
    expect(globMeetsRoute('GET/r1/*', 'GET /r10/{id}')).toBe(false);
    expect(globMeetsRoute('POST/orders', 'ANY /orders')).toBe(true);
    expect(globMeetsRoute('POST/orders', 'ANY /orders', ['POST'])).toBe(false);
    expect(globMeetsRoute('GET/a', '$default')).toBe(true);
    expect(globMeetsRoute('GET/x/', 'GET /x')).toBe(true);
  });

  it('match strings as the local gateway evaluates IAM resource wildcards when * crosses colons', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', ':', '*', '?');
    fc.assert(
      fc.property(
        fc.string({ unit: alphabet, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '/', ':'), maxLength: 8 }),
        (glob, value) => {
          const statements = [{ effect: 'Allow' as const, actions: ['execute-api:Invoke'], resources: [`p/${glob}`] }];
          expect(globMatches(glob, value)).toBe(policyAllows(statements, `p/${value}`, 'crosses-colons'));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('colon variants', () => {
  it('write each set of inner wildcards as *:*, leaving a last * alone', () => {
    expect(colonVariants('GET/orders/*')).toEqual(['GET/orders/*']);
    expect(colonVariants('GET/a/*/b/*')).toEqual(['GET/a/*/b/*', 'GET/a/*:*/b/*']);
    expect(colonVariants('GET/a/*/b/*/c')).toEqual(['GET/a/*/b/*/c', 'GET/a/*:*/b/*/c', 'GET/a/*/b/*:*/c', 'GET/a/*:*/b/*:*/c']);
    expect(() => colonVariants('GET/*/*/*/*/*/x')).toThrow(/at most 4 inner wildcards; received "GET\/\*\/\*\/\*\/\*\/\*\/x"/);
  });

  it('match under either reading of IAM wildcards exactly what the glob matches when * crosses colons', () => {
    const arn = 'arn:aws:execute-api:eu-west-1:123456789012:abcdefghij/prod/';
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '*'), { minLength: 1, maxLength: 4 }).map((parts) => `GET/${parts.join('/')}/z`),
        fc.array(fc.string({ unit: fc.constantFrom('a', ':', 'b'), minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (glob, segments) => {
          const value = `GET/${segments.join('/')}/z`;
          const statements = [
            { effect: 'Allow' as const, actions: ['execute-api:Invoke'], resources: colonVariants(glob).map((g) => arn + g) },
          ];
          for (const reading of WILDCARD_READINGS) expect(policyAllows(statements, arn + value, reading)).toBe(globMatches(glob, value));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('ARN prefixes', () => {
  it('take the prefix up to the stage from the request ARN, and refuse an ARN without one', () => {
    expect(arnPrefix('arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/x')).toBe(
      'arn:aws:execute-api:us-east-1:123456789012:abc/prod/',
    );
    expect(() => arnPrefix('arn:aws:execute-api:us-east-1:123456789012:abc')).toThrow(/must be arn:…:api-id\/stage\/METHOD\/path/);
    expect(() => arnPrefix('not-an-arn/prod/GET/x')).toThrow(/received "not-an-arn\/prod\/GET\/x"/);
  });
});
