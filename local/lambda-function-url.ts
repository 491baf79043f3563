import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatRequestTime, readRequest } from './http-api-gateway.js';
import { closeServer, listen } from './http-server.js';
import type { LambdaRunner } from './lambda-runner.js';

/**
 * A local stand-in for a Lambda function URL (`AuthType: NONE`): each request becomes a payload
 * 2.0 event, as function URLs send
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads), the function
 * runs from its bundle, and its answer becomes the response (a result without `statusCode` is the
 * JSON body of a 200). A function error is 502, as function URLs answer it.
 */
export class LocalFunctionUrl {
  private readonly server = http.createServer((request, response) => {
    this.handle(request, response).catch((error: unknown) => {
      process.stderr.write(`local function URL: ${(error as Error).stack}\n`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  /** `http://127.0.0.1:<port>/`: with the trailing slash, as the `FunctionUrl` attribute has it. */
  url = '';

  constructor(
    private readonly runner: LambdaRunner,
    private readonly port = 0,
  ) {}

  async start(): Promise<string> {
    await listen(this.server, this.port);
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this.url;
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(incoming: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const request = await readRequest(incoming);
    if ('status' in request) {
      response.writeHead(request.status, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: request.message }));
      return;
    }
    const query: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(request.rawQueryString))
      query[name] = name in query ? `${query[name]},${value}` : value;
    const host = request.headers.host ?? '127.0.0.1';
    const text =
      request.body.length > 0 &&
      /^(text\/|application\/(json|.*\+json|x-www-form-urlencoded))/i.test(request.headers['content-type'] ?? 'text/plain');
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: request.path,
      rawQueryString: request.rawQueryString,
      ...(request.cookies.length > 0 ? { cookies: request.cookies } : {}),
      headers: request.headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      requestContext: {
        accountId: 'anonymous',
        apiId: 'local',
        domainName: host,
        domainPrefix: host.split('.')[0],
        http: {
          method: request.method,
          path: request.path,
          protocol: 'HTTP/1.1',
          sourceIp: request.sourceIp,
          userAgent: request.headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey: '$default',
        stage: '$default',
        time: formatRequestTime(request.time),
        timeEpoch: request.time.getTime(),
      },
      ...(request.body.length > 0 ? { body: request.body.toString(text ? 'utf8' : 'base64') } : {}),
      isBase64Encoded: request.body.length > 0 && !text,
    };
    const result = await this.runner.invoke(event);
    if (!result.ok) {
      response.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ Message: 'Internal Server Error' }));
      return;
    }
    const answer = result.result as {
      statusCode?: unknown;
      headers?: Record<string, string>;
      body?: unknown;
      isBase64Encoded?: boolean;
    } | null;
    if (answer === null || typeof answer !== 'object' || typeof answer.statusCode !== 'number') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      return;
    }
    response.writeHead(answer.statusCode, answer.headers ?? {});
    response.end(typeof answer.body === 'string' ? Buffer.from(answer.body, answer.isBase64Encoded ? 'base64' : 'utf8') : undefined);
  }
}
