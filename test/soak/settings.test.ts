import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, parseSettings } from '../../soak/settings.js';

describe('npm run soak options', () => {
  it('runs 60 s by default and takes --seconds and the cache windows as given', () => {
    expect(parseSettings([]).seconds).toBe(60);
    expect(parseSettings(['--seconds', '600', '--results-cache-ttl', '0', '--out', '/tmp/x'])).toEqual({
      ...DEFAULT_SETTINGS,
      seconds: 600,
      resultsCacheTtlSeconds: 0,
      outDir: '/tmp/x',
    });
  });

  it('refuses a run that would not be bounded, naming the flag, its limits and the value', () => {
    expect(() => parseSettings(['--seconds', '86400'])).toThrow('--seconds must be an integer from 10 to 3600; received "86400"');
    expect(() => parseSettings(['--rate', '2.5'])).toThrow('--rate must be an integer from 1 to 500; received "2.5"');
  });

  it('refuses an unknown flag and a flag without a value', () => {
    expect(() => parseSettings(['--minutes', '5'])).toThrow(/^unknown option "--minutes"; known: --seconds, /);
    expect(() => parseSettings(['--seconds'])).toThrow('--seconds needs a value');
  });

  it('takes --shared-cache without a value: push revocation on, 30 % of the load on REST and its own report directory unless given', () => {
    expect(parseSettings(['--seconds', '60', '--shared-cache'])).toEqual({
      ...DEFAULT_SETTINGS,
      sharedCache: true,
      restPercent: 30,
      outDir: 'reports/soak-shared-cache',
    });
    expect(parseSettings(['--shared-cache', '--rest-percent', '0', '--out', '/tmp/y', '--memory-ttl', '2'])).toMatchObject({
      sharedCache: true,
      restPercent: 0,
      outDir: '/tmp/y',
      memoryTtlSeconds: 2,
    });
    expect(parseSettings(['--rest-percent', '50'])).toMatchObject({ sharedCache: false, restPercent: 50 });
    expect(() => parseSettings(['--rest-percent', '101'])).toThrow('--rest-percent must be an integer from 0 to 100; received "101"');
  });
});
