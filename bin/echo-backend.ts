import { withJwtHeaders } from '../lambda/backend.js';

/**
 * The sample app's backend: answers with the request it received as JSON, so a user sees the
 * JWT arrive. Wrapped in the backend helper, it sees `authorization: Bearer <JWT>` and
 * `x-phantom-jwt`, as an HTTP backend behind the gateway would.
 */
interface EchoEvent {
  headers?: Record<string, string | undefined> | null;
  rawPath?: string;
  path?: string;
  routeKey?: string;
  httpMethod?: string;
  requestContext?: { http?: { method?: string }; authorizer?: unknown } | null;
}

export const handler = withJwtHeaders(async (event: EchoEvent) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    method: event.requestContext?.http?.method ?? event.httpMethod,
    path: event.rawPath ?? event.path,
    headers: event.headers ?? {},
  }),
}));
