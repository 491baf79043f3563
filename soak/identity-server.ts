import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { DemoClient, RevocationPushOptions } from '../local/oauth-server.js';
import type { SetPush } from '../local/set-transmitter.js';
import { basic } from './basic-auth.js';

/**
 * The local OAuth server (local/oauth-server.ts: oidc-provider and the Curity-compatible phantom
 * endpoint) in a process of its own, as an identity server is: its introspections and JWT signing
 * then do not share an event loop with the gateway, the fault proxy and the clients, which would
 * make the soak measure its own process's queue.
 */
export interface IdentityServer {
  readonly issuer: string;
  readonly introspectionEndpoint: string;
  readonly phantomIntrospectionEndpoint: string;
  /** An opaque access token by client credentials. */
  token(client: DemoClient): Promise<string>;
  revoke(token: string, client: DemoClient): Promise<void>;
  /** The JWKS whose key signs the SETs it pushes (`/set-jwks`). */
  readonly securityEventJwksUri: string;
  /** Where it pushes a SET on each revocation from now on (none at start). */
  setSecurityEventReceiver(endpoint: string): Promise<void>;
  /** Every SET pushed so far and its delivery. */
  securityEventPushes(): Promise<readonly Omit<SetPush, 'done'>[]>;
  close(): Promise<void>;
}

const DEADLINE_MS = 10_000;

export async function startIdentityServerProcess(
  demoClients: readonly DemoClient[],
  revocationPush?: RevocationPushOptions,
): Promise<IdentityServer> {
  const args = [JSON.stringify(demoClients), JSON.stringify(revocationPush ?? null)];
  const child: ChildProcess = fork(resolve(__dirname, 'identity-server-process.ts'), args, {
    execArgv: ['--import', 'tsx', '--no-warnings'],
    stdio: ['ignore', 'pipe', 'ignore', 'ipc'],
  });
  const issuer = await new Promise<string>((done, reject) => {
    const timer = setTimeout(() => reject(new Error('the identity server did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the identity server exited with code ${code} while starting`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      done(line.trim());
    });
  });
  const form = (client: DemoClient, fields: Record<string, string>) => ({
    method: 'POST',
    headers: { authorization: basic(client.id, client.secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
    signal: AbortSignal.timeout(DEADLINE_MS),
  });
  let nextId = 0;
  const ask = <T>(message: Record<string, unknown>) =>
    new Promise<T>((done, reject) => {
      const id = ++nextId;
      const timer = setTimeout(
        () => reject(new Error(`the identity server did not answer ${String(message.op)} within 10 s`)),
        DEADLINE_MS,
      );
      const onMessage = (answer: { id?: number }) => {
        if (answer.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        done(answer as T);
      };
      child.on('message', onMessage);
      child.send({ ...message, id });
    });
  return {
    issuer,
    securityEventJwksUri: `${issuer}/set-jwks`,
    async setSecurityEventReceiver(endpoint) {
      await ask({ op: 'setReceiver', endpoint });
    },
    async securityEventPushes() {
      return (await ask<{ pushes: Omit<SetPush, 'done'>[] }>({ op: 'pushes' })).pushes;
    },
    introspectionEndpoint: `${issuer}/token/introspection`,
    phantomIntrospectionEndpoint: `${issuer}/phantom/introspection`,
    async token(client) {
      const response = await fetch(`${issuer}/token`, form(client, { grant_type: 'client_credentials', scope: client.scope }));
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (body.access_token === undefined) throw new Error(`token request failed: ${response.status} ${body.error}`);
      return body.access_token;
    },
    async revoke(token, client) {
      const response = await fetch(`${issuer}/token/revocation`, form(client, { token, token_type_hint: 'access_token' }));
      if (response.status !== 200) throw new Error(`revocation failed: ${response.status}`);
    },
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill();
      }),
  };
}
