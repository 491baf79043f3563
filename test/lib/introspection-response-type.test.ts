import { describe, expect, it } from 'vitest';
import { DPOP_ALGORITHMS, RESPONSE_TYPES } from '../../lambda/environment.js';
import { DpopAlgorithm, IntrospectionResponseType } from '../../lib/index.js';

describe('IntrospectionResponseType', () => {
  it('has one member for each response type the authorizer accepts, valued as INTROSPECTION_RESPONSE_TYPE takes it', () => {
    expect(Object.values(IntrospectionResponseType).sort()).toEqual([...RESPONSE_TYPES].sort());
    expect(IntrospectionResponseType.JWT).toBe('application/jwt');
  });
});

describe('DpopAlgorithm', () => {
  it('has one member for each algorithm the function verifies DPoP proofs with, valued as DPOP_ALGORITHMS takes it', () => {
    expect(Object.values(DpopAlgorithm).sort()).toEqual([...DPOP_ALGORITHMS].sort());
    expect(DpopAlgorithm.ED_DSA).toBe('EdDSA');
  });
});
