import { createHash, createHmac } from 'node:crypto';

/** AWS credentials as Lambda hands them to a function: environment variables of its execution role's session. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The session token of temporary credentials (always set in Lambda). */
  readonly sessionToken: string | undefined;
}

export interface SignableRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: URL;
  /** Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token`, which are added. Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** The signing time (default now). */
  readonly date?: Date;
}

/**
 * AWS Signature Version 4 of one request with a header-borne signature (AWS General Reference,
 * "Create a signed AWS API request"): the canonical request, the string to sign over its SHA-256,
 * the signing key derived by HMAC-SHA256 from the secret key through date, region, service and
 * `aws4_request`, and the `Authorization` header. Returns every header to send, `host` included.
 * Only what this project sends: a path without query string and a body in full. The path is the
 * URL's, already URI-encoded, as sent; the canonical URI is that path normalized and URI-encoded
 * once more ({@link canonicalUri}), as the AWS SDKs sign for every service but S3.
 */
export function signRequest(request: SignableRequest): Record<string, string> {
  const amzDate = (request.date ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.url.host, 'x-amz-date': amzDate };
  if (request.credentials.sessionToken !== undefined) headers['x-amz-security-token'] = request.credentials.sessionToken;
  const names = Object.keys(headers)
    .map((name) => name.toLowerCase())
    .sort();
  const lowered = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method,
    canonicalUri(request.url.pathname),
    '',
    ...names.map((name) => `${name}:${(lowered[name] as string).trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    sha256Hex(request.body),
  ].join('\n');
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = signingKey(request.credentials.secretAccessKey, day, request.region, request.service);
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${request.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/**
 * The canonical URI of a path as sent (percent-encoded already), as botocore and the AWS SDK for
 * JavaScript (@smithy/signature-v4) make it for services other than S3: empty and `.` segments
 * dropped, `..` segments applied, the leading and (when any segment is left) trailing slash kept,
 * then every byte but the unreserved characters (`A-Z a-z 0-9 - . _ ~`) and `/` percent-encoded:
 * `/prefix/a%20b` is signed as `/prefix/a%2520b`. An empty path is `/`.
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  const encoded = encodeURIComponent(normalized)
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%2F', '/');
  return encoded === '' ? '/' : encoded;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
}
