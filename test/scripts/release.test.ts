import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_RELEASES } from '../../scripts/node-release.js';
import { checkNextVersion, rollChangelog } from '../../scripts/release.js';

const read = (path: string) => readFileSync(resolve(__dirname, '../..', path), 'utf8');

describe('cutting a release', () => {
  it('accepts a version above the current one, pre-releases below their release', () => {
    for (const [current, next] of [
      ['0.1.0', '0.2.0'],
      ['0.1.0', '0.1.1'],
      ['0.9.9', '1.0.0'],
      ['1.0.0-rc.9', '1.0.0-rc.10'],
      ['1.0.0-rc.1', '1.0.0'],
      ['1.0.0-alpha', '1.0.0-alpha.1'],
      ['1.0.0-1', '1.0.0-alpha'],
    ] as const) {
      expect(() => checkNextVersion(current, next), `${current} → ${next}`).not.toThrow();
    }
  });

  it('refuses a version that is not above the current one, or not a release version', () => {
    expect(() => checkNextVersion('0.2.0', '0.1.9')).toThrow('0.1.9 is below the current version 0.2.0');
    expect(() => checkNextVersion('0.2.0', '0.2.0')).toThrow('0.2.0 is not above the current version 0.2.0');
    expect(() => checkNextVersion('1.0.0', '1.0.0-rc.1')).toThrow('1.0.0-rc.1 is not above the current version 1.0.0');
    expect(() => checkNextVersion('1.0.0-rc.10', '1.0.0-rc.9')).toThrow('is not above');
    expect(() => checkNextVersion('0.1.0', 'v0.2.0')).toThrow('"v0.2.0" is not a release version');
    expect(() => checkNextVersion('0.1.0', '0.2')).toThrow('"0.2" is not a release version');
  });

  it('turns "Unreleased" into the release, with a new empty "Unreleased" above it', () => {
    const before = '# Changelog\n\n## Unreleased\n\n### Fixed\n\n- a fix\n\n## 0.1.0 — 2026-11-27\n\nFirst release.\n';
    expect(rollChangelog(before, '0.2.0', '2026-12-07')).toBe(
      '# Changelog\n\n## Unreleased\n\n## 0.2.0 — 2026-12-07\n\n### Fixed\n\n- a fix\n\n## 0.1.0 — 2026-11-27\n\nFirst release.\n',
    );
  });

  it('refuses to release an empty "Unreleased", a CHANGELOG without one, or a version already there', () => {
    expect(() => rollChangelog('# Changelog\n\n## Unreleased\n\n## 0.1.0 — x\n', '0.2.0', 'd')).toThrow('is empty: nothing to release');
    expect(() => rollChangelog('# Changelog\n\n## 0.1.0 — x\n', '0.2.0', 'd')).toThrow('has no "## Unreleased" section');
    expect(() => rollChangelog('## Unreleased\n\n- x\n\n## 0.2.0 — x\n', '0.2.0', 'd')).toThrow('already has a section for 0.2.0');
  });

  it("can roll this repository's CHANGELOG into the next version", () => {
    const version = (JSON.parse(read('package.json')) as { version: string }).version;
    const [major, minor] = version.split('.').map(Number) as [number, number];
    const next = `${major}.${minor + 1}.0`;
    checkNextVersion(version, next);
    expect(rollChangelog(read('CHANGELOG.md'), next, '2026-12-07')).toContain(`## Unreleased\n\n## ${next} — 2026-12-07\n`);
  });
});

describe('supported Node.js versions', () => {
  it("starts engines at the oldest major the CI fetches, and fetches Lambda's nodejs24.x", () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const oldest = Math.min(...Object.keys(NODE_RELEASES).map(Number));
    expect(engines).toBe(`>=${oldest}`);
    expect(Object.keys(NODE_RELEASES)).toContain('24');
    for (const [major, version] of Object.entries(NODE_RELEASES)) expect(version.split('.')[0]).toBe(major);
    const ci = read('.ci/run');
    expect(ci).toContain(`scripts/node-release.ts ${oldest} --path-env`);
    expect(ci).toContain('scripts/node24.ts node_modules/vitest/vitest.mjs run\n');
  });
});
