import http from 'node:http';
import https from 'node:https';

/** What a request to an API answered. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface RawRequest {
  /** Any token: `PURGE` and `PROPFIND` as well as the seven. */
  readonly method: string;
  /** Sent exactly as given, after the base URL's own path: `//x` and `/%61dmin` are not normalized. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * One request over `node:https` (`node:http` for the local emulation's `http://127.0.0.1` URLs), with
 * the method and path exactly as given (fetch would refuse some methods and normalize some paths).
 * `base` is the API's URL: its path (a REST stage, `/integ`) comes before `request.path`.
 */
export function rawRequest(base: string, request: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/$/, '');
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'http:' ? http : https;
    const outgoing = client.request(
      {
        host: url.hostname,
        port: url.port === '' ? (url.protocol === 'http:' ? 80 : 443) : Number(url.port),
        method: request.method,
        path: `${prefix}${request.path}`,
        headers: { ...request.headers, ...(request.body === undefined ? {} : { 'content-length': Buffer.byteLength(request.body) }) },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url.host} within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}
