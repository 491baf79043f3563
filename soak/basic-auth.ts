import { formEncode } from '../lambda/client-credentials.js';

/** RFC 6749 §2.3.1: client id and secret form-urlencoded, then HTTP Basic, as the authorizer sends them. */
export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;
}
