import http from 'node:http';

/**
 * The cold-start baseline: a handler that makes the authorizer's two HTTP calls with `node:http`
 * and nothing else — GetSecretValue (AWS JSON 1.1, started at module load, as the authorizer
 * starts its read) and one introspection POST with the credentials — and answers. What the
 * authorizer's first decision costs over this is what its code, and only its code, adds to a
 * cold start. Bench only: no signing (a fixed header of the shape the local endpoint takes), no
 * deadlines, no checks.
 */
const env = process.env;
const agent = new http.Agent({ keepAlive: true });

function post(url: string, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method: 'POST',
      agent,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    request.end(body);
  });
}

const secret = post(
  env.AWS_ENDPOINT_URL_SECRETS_MANAGER as string,
  {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'secretsmanager.GetSecretValue',
    // Shaped as the local endpoint requires, not computed: the authorizer's signing is part of what it is measured for.
    'x-amz-date': '20260101T000000Z',
    authorization: `AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
  },
  JSON.stringify({ SecretId: env.CLIENT_CREDENTIALS_SECRET }),
);
secret.catch(() => {});

export async function handler(event: { headers: Record<string, string> }): Promise<unknown> {
  const { client_id, client_secret } = JSON.parse(JSON.parse(await secret).SecretString);
  const token = (event.headers.authorization as string).slice('Bearer '.length);
  const jwt = await post(
    env.INTROSPECTION_ENDPOINT as string,
    {
      authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/jwt',
    },
    `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
  );
  return { isAuthorized: true, context: { jwt } };
}
