/** The account and API id every local ARN carries. */
export const ACCOUNT_ID = '000000000000';
export const API_ID = 'local';

/**
 * The longest method ARN API Gateway builds for a Lambda authorizer, bytes: a request whose ARN is
 * longer is answered 414 without invoking the authorizer. Reported behaviour, not found on a
 * documentation page (the README's "Emulation honesty" lists it as such).
 */
export const METHOD_ARN_LIMIT_BYTES = 1600;

/** `arn:aws:execute-api:<region>:000000000000:local/<stage>/<METHOD><path>`: the request's method ARN (HTTP API: `routeArn`). */
export function methodArn(region: string, stage: string, method: string, path: string): string {
  return `arn:aws:execute-api:${region}:${ACCOUNT_ID}:${API_ID}/${stage}/${method}${path}`;
}

export function isMethodArnTooLong(arn: string): boolean {
  return Buffer.byteLength(arn) > METHOD_ARN_LIMIT_BYTES;
}
