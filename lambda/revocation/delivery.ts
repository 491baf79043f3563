import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { SecurityEventRefusedError } from './errors.js';

/** The largest SET accepted, in bytes: a SET naming one token with an RSA-4096 signature is under 2 KiB. */
export const MAX_SET_BYTES = 16 * 1_024;

/** RFC 8935 §2: the media type of a pushed SET (RFC 8417 §7.2). */
export const SET_MEDIA_TYPE = 'application/secevent+jwt';

/** A JWS compact serialization: three base64url segments (an encrypted SET has five and is not accepted). */
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The SET of one RFC 8935 push delivery, as a Lambda function URL (payload format 2.0) hands it
 * over: only `POST` (405 otherwise), `Content-Type: application/secevent+jwt` (parameters such as
 * `charset` tolerated, case-insensitive), the body as sent or base64 (`isBase64Encoded`, as function
 * URLs pass a body whose type is not text), at most {@link MAX_SET_BYTES} bytes, one JWS compact
 * serialization (surrounding white space tolerated). Throws `SecurityEventRefusedError`.
 */
export function readDelivery(event: LambdaFunctionURLEvent): string {
  const method = event.requestContext?.http?.method;
  if (method !== 'POST') {
    throw new SecurityEventRefusedError(
      'invalid_request',
      `a SET is delivered with POST; received ${JSON.stringify(String(method).slice(0, 16))}`,
      405,
    );
  }
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== SET_MEDIA_TYPE) {
    throw new SecurityEventRefusedError(
      'invalid_request',
      `Content-Type must be ${SET_MEDIA_TYPE}; received ${contentType === undefined ? 'none' : JSON.stringify(contentType.slice(0, 80))}`,
    );
  }
  const raw = event.body ?? '';
  // Base64 takes 4 characters per 3 bytes: anything longer than this cannot decode within the limit.
  const maxLength = event.isBase64Encoded ? Math.ceil(MAX_SET_BYTES / 3) * 4 : MAX_SET_BYTES;
  const tooLarge = () => new SecurityEventRefusedError('invalid_request', `the body is larger than ${MAX_SET_BYTES} bytes`);
  if (raw.length > maxLength) throw tooLarge();
  const body = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.length > MAX_SET_BYTES) throw tooLarge();
  const set = body.toString('utf8').trim();
  if (!JWS_COMPACT.test(set)) {
    throw new SecurityEventRefusedError('invalid_request', 'the body is not a SET in JWS compact serialization (header.payload.signature)');
  }
  return set;
}

/** A request header's value; function URLs lower-case the names, tolerated either way. */
function header(event: LambdaFunctionURLEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return value === undefined || value === '' ? undefined : value;
}
