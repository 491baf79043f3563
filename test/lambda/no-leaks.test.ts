import { describe, expect, it } from 'vitest';
import { leakedSecrets } from '../support/log-capture.js';

// Every test file ends with this check over all it printed (test/support/setup.ts); here it is
// shown to catch what it must.
describe('the leak check', () => {
  it('finds a remembered token in captured output, and nothing when it is absent', () => {
    const token = 'opaque-token-1234567890';
    expect(leakedSecrets(`{"outcome":"allow","token":"${token}"}\n`, [token])).toEqual(['23 chars']);
    expect(leakedSecrets('{"outcome":"allow","tokenId":"7eda8fe3cf6f"}\n', [token])).toEqual([]);
  });
});
