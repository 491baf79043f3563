import http from 'node:http';
import https from 'node:https';
import { IntrospectionRequestFailedError, IntrospectionResponseInvalidError } from './errors.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The whole exchange (connect, send, read the body) must finish within this many milliseconds. */
  readonly timeoutMs: number;
  /** A body larger than this many bytes is an error, whether announced by Content-Length or streamed. */
  readonly maxBytes: number;
}

// One keep-alive agent per protocol for the life of the function instance: warm invocations
// reuse the TLS connection instead of paying a handshake each time.
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

/**
 * One HTTP exchange with a deadline and a body cap. Network failures and the deadline raise
 * `IntrospectionRequestFailedError`; an oversized body raises `IntrospectionResponseInvalidError`.
 * Chunked responses (no Content-Length) are read like any other.
 */
export function httpRequest(url: URL, options: HttpRequestOptions): Promise<HttpResponse> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = transport.request(url, {
      method: options.method,
      agent: agents[url.protocol as keyof typeof agents],
      headers:
        options.body === undefined ? options.headers : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
    });
    const timer = setTimeout(
      () => fail(new IntrospectionRequestFailedError(`${url.host} did not answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('error', (cause) =>
      fail(new IntrospectionRequestFailedError(`request to ${url.host} failed: ${errorName(cause)}`, { cause })),
    );
    request.on('response', (response) => {
      const announced = Number(response.headers['content-length']);
      if (announced > options.maxBytes) {
        fail(new IntrospectionResponseInvalidError(`${url.host} announced a ${announced}-byte body; the limit is ${options.maxBytes}`));
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) {
          fail(new IntrospectionResponseInvalidError(`${url.host} sent more than ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on('error', (cause) =>
        fail(new IntrospectionRequestFailedError(`response from ${url.host} failed: ${errorName(cause)}`, { cause })),
      );
      response.on('aborted', () => fail(new IntrospectionRequestFailedError(`response from ${url.host} was cut off`)));
      response.on('end', () => {
        if (settled) return;
        if (!response.complete) {
          fail(new IntrospectionRequestFailedError(`response from ${url.host} was cut off`));
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(options.body);
  });
}

function errorName(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.name;
}
