import { type ChildProcess, spawn } from 'node:child_process';
import { signRequest } from '../../lambda/aws/sigv4.js';
import { httpRequest } from '../../lambda/http-client.js';

/** Keys of a moto IAM user (or the setup's, which any call may use before IAM checks are on). */
export interface MotoKeys {
  readonly id: string;
  readonly secret: string;
}

/** Keys for the unchecked setup calls. */
export const MOTO_SETUP_KEYS: MotoKeys = { id: 'AKIASETUP0000000000', secret: 'setup' };
export const MOTO_REGION = 'us-east-1';

/**
 * moto_server on 127.0.0.1 with its IAM checks on: moto recomputes every request's Signature
 * Version 4 with botocore's signer from the secret key it issued and applies the user's IAM
 * policy, so a wrong signature or a missing permission is answered as AWS would. The first
 * `uncheckedCalls` calls (the test's setup) go unchecked. Requests are signed with the project's
 * own signer, as the function signs them.
 */
export class MotoWithIam {
  readonly endpoint: string;

  private constructor(
    private readonly child: ChildProcess,
    port: number,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
  }

  static async start(port: number, uncheckedCalls: number): Promise<MotoWithIam> {
    const moto = new MotoWithIam(spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' }), port);
    for (let attempt = 0; ; attempt++) {
      try {
        await fetch(`${moto.endpoint}/moto-api/`);
        break;
      } catch (error) {
        if (attempt > 100) {
          moto.stop();
          throw new Error(`moto_server did not start on ${moto.endpoint}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: String(uncheckedCalls) });
    return moto;
  }

  /** One request, signed for `service` (moto routes by the signature's scope). */
  async call(service: string, keys: MotoKeys, body: string, headers: Record<string, string>) {
    const url = new URL(`${this.endpoint}/`);
    const signed = signRequest({
      method: 'POST',
      url,
      headers,
      body,
      service,
      region: MOTO_REGION,
      credentials: { accessKeyId: keys.id, secretAccessKey: keys.secret, sessionToken: undefined },
    });
    return httpRequest(url, { method: 'POST', headers: signed, body, timeoutMs: 5_000, maxBytes: 1_000_000 });
  }

  /** An IAM user allowed `actions` on every resource, and its access key (3 setup calls). */
  async userWithKeys(name: string, actions: string[]): Promise<MotoKeys> {
    const iam = (params: Record<string, string>) =>
      this.call('iam', MOTO_SETUP_KEYS, new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(), {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      });
    await iam({ Action: 'CreateUser', UserName: name });
    await iam({
      Action: 'PutUserPolicy',
      UserName: name,
      PolicyName: 'test',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }] }),
    });
    const created = (await iam({ Action: 'CreateAccessKey', UserName: name })).body;
    const id = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(created)?.[1];
    const secret = /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(created)?.[1];
    if (id === undefined || secret === undefined) throw new Error(`CreateAccessKey answered: ${created.slice(0, 200)}`);
    return { id, secret };
  }

  stop(): void {
    this.child.kill();
  }
}
