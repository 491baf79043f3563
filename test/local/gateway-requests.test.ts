import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApiGateway, PAYLOAD_LIMIT, REQUEST_LINE_AND_HEADER_VALUES_LIMIT } from '../../local/http-api-gateway.js';
import { closeServer, listen } from '../../local/http-server.js';

/**
 * Requests at and past the HTTP API quotas
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html: request line and
 * header values 10,240 bytes; payload 10 MB), and paths that cannot be decoded.
 */
let backend: http.Server;
let gateway: LocalHttpApiGateway;
const received: { url: string; bytes: number }[] = [];

beforeAll(async () => {
  backend = http.createServer(async (req, res) => {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    received.push({ url: req.url ?? '', bytes });
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`backend got ${bytes} bytes`);
  });
  await listen(backend, 0);
  const url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/backend`;
  gateway = new LocalHttpApiGateway({
    api: {
      logicalId: 'Api',
      functions: new Map(),
      routes: [
        {
          routeKey: 'ANY /{proxy+}',
          method: 'ANY',
          path: '/{proxy+}',
          authorizer: undefined,
          integration: { type: 'HTTP_PROXY', url, requestParameters: {} },
        },
      ],
    },
    runners: new Map(),
  });
  await gateway.start();
});
afterAll(async () => {
  await gateway.close();
  await closeServer(backend);
});

/** Sends exact bytes and returns the status line, so that the request line and header sizes are known. */
function rawRequest(text: string): Promise<string> {
  const { port } = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5_000);
    socket.on('data', (data) => {
      answer += data.toString('latin1');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

/** `GET /limits HTTP/1.1` (20 bytes) + host `h` (1) + connection `close` (5) + the X-Big value. */
function requestWithHeaderValues(total: number): string {
  return `GET /limits HTTP/1.1\r\nHost: h\r\nX-Big: ${'a'.repeat(total - 26)}\r\nConnection: close\r\n\r\n`;
}

describe('the request line and header values quota', () => {
  it('accepts exactly 10,240 bytes of request line and header values', async () => {
    const answer = await rawRequest(requestWithHeaderValues(REQUEST_LINE_AND_HEADER_VALUES_LIMIT));
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it('answers 431 to one byte more, without calling the integration', async () => {
    const before = received.length;
    const answer = await rawRequest(requestWithHeaderValues(REQUEST_LINE_AND_HEADER_VALUES_LIMIT + 1));
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(answer).toContain('{"message":"Request Header Fields Too Large"}');
    expect(received.length).toBe(before);
  });
});

describe('the payload quota', () => {
  it('passes a 10 MB body through', async () => {
    const response = await fetch(`${gateway.url}/upload`, { method: 'POST', body: Buffer.alloc(PAYLOAD_LIMIT, 1) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`backend got ${PAYLOAD_LIMIT} bytes`);
  });

  it('answers 413 to a body one byte over 10 MB, without calling the integration', async () => {
    const before = received.length;
    const response = await fetch(`${gateway.url}/upload`, { method: 'POST', body: Buffer.alloc(PAYLOAD_LIMIT + 1, 1) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
    expect(received.length).toBe(before);
  });

  it('drops a chunked body that keeps coming past twice the quota, and keeps serving', async () => {
    const before = received.length;
    const outcome = await new Promise<string>((resolve) => {
      const request = http.request(`${gateway.url}/upload`, { method: 'POST', timeout: 10_000 });
      request.on('response', (response) => resolve(`status ${response.statusCode}`));
      request.on('error', () => resolve('connection dropped'));
      request.on('timeout', () => request.destroy());
      const chunk = Buffer.alloc(1024 * 1024, 1);
      let sent = 0;
      const pump = (): void => {
        while (sent < 4 * (PAYLOAD_LIMIT / chunk.length)) {
          sent += 1;
          if (!request.write(chunk)) {
            request.once('drain', pump);
            return;
          }
        }
        request.end();
      };
      pump();
    });
    expect(['connection dropped', 'status 413']).toContain(outcome);
    expect(received.length).toBe(before);
    expect((await fetch(`${gateway.url}/after`)).status).toBe(200);
  });
});

describe('a path whose percent-encoding does not decode', () => {
  it('answers 400 Bad Request, not a 500 with a stack trace', async () => {
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const response = await fetch(`${gateway.url}/orders/%E0%A4%A`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ message: 'Bad Request' });
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).not.toContain('URIError');
  });

  it('still decodes a well-formed one for routing', async () => {
    const response = await fetch(`${gateway.url}/orders/%E0%A4%A4`);
    expect(response.status).toBe(200);
  });
});
