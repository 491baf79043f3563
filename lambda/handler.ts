import { createAuthorizer } from './authorizer.js';

/**
 * The API Gateway REQUEST authorizer (HTTP API payload 2.0 with simple responses, HTTP API
 * payload 1.0, REST). The environment is validated here, at cold start; see `authorizer.ts` for
 * the request flow and `environment.ts` for the contract.
 */
export const handler = createAuthorizer(process.env);
