import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../local/http-server.js';
import { rememberSecret } from '../support/log-capture.js';

const START = resolve(__dirname, '../../local/start.ts');

describe('npm start', () => {
  let taken: http.Server;
  let port: number;
  beforeAll(async () => {
    taken = http.createServer();
    await listen(taken, 0);
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => closeServer(taken));

  it.each(['PORT', 'OAUTH_PORT', 'REST_PORT'])('stops with a clear error and exit code 1 when %s is taken', (variable) => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', START], {
      env: { ...process.env, PORT: '0', OAUTH_PORT: '0', REST_PORT: '0', [variable]: String(port) },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: port ${port} is already in use. Stop what uses it, or set PORT / OAUTH_PORT / REST_PORT.`);
  });
});

describe('the curl lines npm start prints', () => {
  let child: ChildProcess | undefined;
  let outdir: string;
  let printed = '';
  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'phantom-start-'));
    child = spawn(process.execPath, ['--import', 'tsx', START], {
      env: { ...process.env, PORT: '0', OAUTH_PORT: '0', REST_PORT: '0', LOCAL_OUTDIR: outdir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`npm start was not ready within 150 s:\n${printed}`)), 150_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        printed += chunk.toString('utf8');
        if (printed.includes('Ctrl-C stops everything.')) {
          clearTimeout(timer);
          ready();
        }
      });
      child?.once('exit', (code) => fail(new Error(`npm start exited with ${code}`)));
    });
  }, 180_000);
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((done) => child?.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(outdir, { recursive: true, force: true });
  });

  /** Runs one printed line in bash with the printed TOKEN; the answer is the body, or the whole response with -i. */
  const run = (line: string, token: string) =>
    execFileSync('bash', ['-c', line], { env: { ...process.env, TOKEN: token }, encoding: 'utf8', timeout: 30_000 });

  it('work as printed, for both APIs: the REST backend receives Authorization: Bearer <JWT>, the HTTP API backend x-phantom-jwt', () => {
    const lines = printed.split('\n').map((line) => line.trim());
    const tokenLine = lines.find((line) => line.startsWith('TOKEN=$(curl')) as string;
    const token = rememberSecret(run(`${tokenLine}; printf %s "$TOKEN"`, '').trim());
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const curls = lines.filter((line) => line.startsWith('curl '));
    expect(curls.length).toBeGreaterThanOrEqual(12);
    const answers = new Map(curls.map((line) => [line, run(line, token)]));
    for (const value of answers.values()) for (const jwt of value.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? []) rememberSecret(jwt);

    for (const [line, answer] of answers) {
      const expected = /# (\d{3})/.exec(line)?.[1];
      if (expected !== undefined)
        expect(answer.split('\r\n')[0], line).toBe(`HTTP/1.1 ${expected} ${expected === '401' ? 'Unauthorized' : 'Forbidden'}`);
      else expect(JSON.parse(answer), line).toHaveProperty('headers');
    }
    const backend = (api: string) => {
      const line = curls.find((l) => l.includes(api) && l.includes('/backend')) as string;
      return JSON.parse(answers.get(line) as string) as { headers: Record<string, string>; jwt: { verified: boolean; from: string } };
    };
    const restUrl = /Local REST API gateway\s+(\S+)/.exec(printed)?.[1] as string;
    const httpUrl = /Local HTTP API gateway\s+(\S+)/.exec(printed)?.[1] as string;
    expect(backend(`${restUrl}/`).headers.authorization).toMatch(/^Bearer eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(backend(`${restUrl}/`).jwt).toMatchObject({ verified: true, from: 'authorization' });
    expect(backend(`${httpUrl}/`).headers['x-phantom-jwt']).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(backend(`${httpUrl}/`).jwt).toMatchObject({ verified: true, from: 'x-phantom-jwt' });
  }, 120_000);
});
