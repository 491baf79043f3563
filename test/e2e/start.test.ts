import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../local/http-server.js';

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
    const result = spawnSync(process.execPath, ['--import', 'tsx', resolve(__dirname, '../../local/start.ts')], {
      env: { ...process.env, PORT: '0', OAUTH_PORT: '0', REST_PORT: '0', [variable]: String(port) },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`error: port ${port} is already in use. Stop what uses it, or set PORT / OAUTH_PORT / REST_PORT.`);
  });
});
