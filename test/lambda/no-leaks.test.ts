import { describe, expect, it } from 'vitest';
import { EmfFormatter } from '../../lambda/observability/emf.js';
import { emfLineProblems, leakedSecrets } from '../support/log-capture.js';

// Every test file ends with this check over all it printed (test/support/setup.ts); here it is
// shown to catch what it must.
describe('the leak check', () => {
  it('finds a remembered token in captured output, and nothing when it is absent', () => {
    const token = 'opaque-token-1234567890';
    expect(leakedSecrets(`{"outcome":"allow","token":"${token}"}\n`, [token])).toEqual(['23 chars']);
    expect(leakedSecrets('{"outcome":"allow","tokenId":"7eda8fe3cf6f"}\n', [token])).toEqual([]);
  });
});

// Every test file also ends with the EMF check over its decision and warning lines (setup.ts).
describe('the EMF check', () => {
  const emf = new EmfFormatter({ namespace: 'N', service: 's' });

  it('passes valid records, warnings without metrics and the line of an authorizer that cannot start', () => {
    const output = [
      emf.decision({ outcome: 'allow', reason: 'ok', totalMs: 1 }),
      emf.warning({ warning: 'OTHER', message: 'm' }),
      '{"outcome":"error","reason":"ERR_CONFIGURATION_INVALID","message":"INTROSPECTION_ENDPOINT is required"}',
      'not a line of the authorizer',
    ].join('\n');
    expect(emfLineProblems(output)).toEqual([]);
  });

  it('finds a decision line without metrics and a record that breaks the specification', () => {
    const output = [
      '{"outcome":"deny","reason":"malformed","totalMs":1}',
      emf.decision({ outcome: 'deny', reason: 'inactive' }).replace(',"Decisions":1', ''),
    ].join('\n');
    expect(emfLineProblems(output)).toEqual([
      'malformed line: a decision line without _aws',
      'inactive line: directive 0: metric Decisions is missing, not a number or an array of numbers on the root',
    ]);
  });
});
