// What the invocation benchmark loads from one bundle: the authorizer factory and its HTTP client.
export { createAuthorizer } from '../lambda/authorizer.js';
export { httpRequest } from '../lambda/http-client.js';
