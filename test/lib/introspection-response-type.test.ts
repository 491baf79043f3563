import { describe, expect, it } from 'vitest';
import { RESPONSE_TYPES } from '../../lambda/environment.js';
import { IntrospectionResponseType } from '../../lib/index.js';

describe('IntrospectionResponseType', () => {
  it('has one member for each response type the authorizer accepts, valued as INTROSPECTION_RESPONSE_TYPE takes it', () => {
    expect(Object.values(IntrospectionResponseType).sort()).toEqual([...RESPONSE_TYPES].sort());
    expect(IntrospectionResponseType.JWT).toBe('application/jwt');
  });
});
