import type { AuthorizerRequest } from './authorizer-event.js';

export type AuthorizerContext = Readonly<Record<string, string>>;

/** HTTP API payload 2.0 simple response. */
export interface SimpleResponse {
  readonly isAuthorized: boolean;
  readonly context?: AuthorizerContext;
}

/** REST (and HTTP API payload 1.0, or 2.0 without simple responses) IAM policy response. */
export interface PolicyResponse {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    readonly Statement: readonly {
      readonly Action: 'execute-api:Invoke';
      readonly Effect: 'Allow' | 'Deny';
      readonly Resource: string | readonly string[];
    }[];
  };
  readonly context?: AuthorizerContext;
}

export type AuthorizerResponse = SimpleResponse | PolicyResponse;

/** REST's documented way to make API Gateway answer 401: the function fails with exactly this message. */
export const REST_UNAUTHORIZED = 'Unauthorized';

/**
 * A payload 2.0 simple response (a function deployed without the construct's route table, whose
 * HTTP API authorizer has simple responses on): allowed, with the context, or not (403).
 */
export function simpleAnswer(isAuthorized: boolean, context: AuthorizerContext): SimpleResponse {
  return isAuthorized ? { isAuthorized, context } : { isAuthorized };
}

/** Missing, malformed, inactive or unknown token: HTTP API false (403); REST throws `Unauthorized` (401). */
export function denyInvalidToken(request: AuthorizerRequest): AuthorizerResponse {
  if (request.format === 'simple') return { isAuthorized: false };
  throw new Error(REST_UNAUTHORIZED);
}
