import { jwtFromEvent } from '../../../lambda/backend.js';

/**
 * The integration tests' backend: answers every request with what it received, marked
 * `"echo": true` so the probe can tell a request that reached a backend from API Gateway's own
 * answers. Serves three ways at once: as a Lambda proxy integration (HTTP API payload 2.0, REST),
 * and behind a function URL for the APIs' HTTP integrations. `contextJwt` is where, if anywhere,
 * the authorizer's JWT was found in the request context (the backend helper's lookup).
 */
interface EchoEvent {
  readonly version?: string;
  readonly rawPath?: string;
  readonly path?: string;
  readonly routeKey?: string;
  readonly resource?: string;
  readonly httpMethod?: string;
  readonly headers?: Record<string, string | undefined> | null;
  readonly requestContext?: {
    readonly http?: { readonly method?: string };
    readonly authorizer?: { readonly lambda?: Record<string, unknown>; readonly [key: string]: unknown } | null;
  } | null;
}

export const handler = async (event: EchoEvent) => {
  const authorizer = event.requestContext?.authorizer;
  const contextJwt = jwtFromEvent(event);
  const location =
    contextJwt === undefined
      ? 'none'
      : authorizer?.lambda?.jwt === contextJwt
        ? 'requestContext.authorizer.lambda.jwt'
        : 'requestContext.authorizer.jwt';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      echo: true,
      method: event.requestContext?.http?.method ?? event.httpMethod,
      path: event.rawPath ?? event.path,
      // The route the request reached: HTTP API's route key, REST's resource.
      routeKey: event.routeKey,
      resource: event.resource,
      headers: event.headers ?? {},
      contextJwt: location,
      jwt: contextJwt,
    }),
  };
};
