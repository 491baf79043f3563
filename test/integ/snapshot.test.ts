import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithSnapshot, integApps } from './integ-snapshot.js';

/**
 * Offline: each integ app, synthesized as integ-runner would, still matches its committed snapshot,
 * so a change to what the integration test would deploy fails here until the snapshot is
 * reviewed and updated (npm run integ:snapshot).
 */
describe('integ snapshots', () => {
  it('finds the integ apps', () => {
    expect(integApps().map((app) => basename(app))).toContain('integ.phantom-token.ts');
  });

  for (const app of integApps()) {
    it(`synthesizes ${basename(app)} exactly as its snapshot`, () => {
      expect(compareWithSnapshot(app), 'run npm run integ:snapshot after reviewing the change').toEqual([]);
    }, 180_000);
  }
});
