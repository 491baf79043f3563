import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { describe, expect, it } from 'vitest';
import { authorizerIn, unbundledStack } from '../lib/stacks.js';

/**
 * The revocation bounds the README and docs/shared-cache-and-revocation.md state, derived from
 * what the construct deploys with its defaults and a receiver: the authorizer's memory bound
 * (SHARED_CACHE_MEMORY_TTL_SECONDS), the receiver's second flush (REVOCATION_FLUSH_REPEAT_SECONDS,
 * none without a memory bound) and the HTTP API authorizer's result TTL. A default that changes
 * without the pages fails here.
 */
const root = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

function deployedDefaults() {
  const stack = unbundledStack();
  const api = new HttpApi(stack, 'Api', { createDefaultStage: true });
  const authorizer = authorizerIn(stack, {
    sharedCache: {},
    revocation: {
      issuer: 'https://idp.example.com',
      jwksUri: 'https://idp.example.com/jwks',
      audience: 'https://api.example.com/revocation',
    },
  });
  authorizer.addHttpRoutes(api, {
    path: '/echo',
    methods: [HttpMethod.GET],
    integration: new HttpUrlIntegration('Echo', 'https://example.com'),
  });
  const template = Template.fromStack(stack);
  const variables = Object.values(template.findResources('AWS::Lambda::Function')).map(
    (fn) => (fn.Properties.Environment?.Variables ?? {}) as Record<string, string>,
  );
  const value = (name: string) => {
    const found = variables.map((vars) => vars[name]).filter((v) => v !== undefined);
    if (found.length !== 1) throw new Error(`expected one function with ${name}, found ${found.length}`);
    return Number(found[0]);
  };
  const ttls = Object.values(template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: Match.anyValue() })).map(
    (resource) => resource.Properties.AuthorizerResultTtlInSeconds as number,
  );
  return {
    memoryTtl: value('SHARED_CACHE_MEMORY_TTL_SECONDS'),
    flushRepeat: value('REVOCATION_FLUSH_REPEAT_SECONDS'),
    httpResultsTtl: Math.max(...ttls),
  };
}

describe('the revocation bounds in the README and docs follow the deployed defaults', () => {
  const { memoryTtl, flushRepeat, httpResultsTtl } = deployedDefaults();

  it('deploys no memory bound with a receiver, so one flush suffices, and an HTTP API result TTL', () => {
    expect(memoryTtl).toBe(0);
    expect(flushRepeat).toBe(0);
    expect(httpResultsTtl).toBeGreaterThan(0);
  });

  it('states them in the README', () => {
    const readme = read('README.md');
    expect(readme).toContain(`\`sharedCache.memoryTtl\` is ${memoryTtl} s by default`);
    expect(readme).toContain(`| HTTP API (no flush exists) | \`resultsCacheTtl\`: ${httpResultsTtl} s;`);
  });

  it('states them in docs/shared-cache-and-revocation.md', () => {
    const page = read('docs/shared-cache-and-revocation.md');
    expect(page).toContain(`(\`memoryTtl\` ${memoryTtl} s with a receiver, \`resultsCacheTtl\` ${httpResultsTtl} s)`);
    expect(page).toContain(`| \`resultsCacheTtl\` (${httpResultsTtl} s by default); with \`resultsCacheTtl\` 0, at once |`);
  });
});
