import { createAuthorizer } from '../../lambda/authorizer.js';
import { DEFAULT_AUTHORIZER_CLIENT, type OAuthServer, type OAuthServerOptions, startOAuthServer } from '../../local/oauth-server.js';
import { type LocalSecretsManager, startLocalSecretsManager } from '../../local/secrets-manager.js';
import { rememberSecret } from './log-capture.js';

/**
 * The authorizer's real peers on 127.0.0.1: the OAuth server and a Secrets Manager endpoint
 * holding the authorizer's client credentials, which the real SDK client reaches through
 * AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export interface Peers {
  readonly oauth: OAuthServer;
  readonly secrets: LocalSecretsManager;
  readonly secretArn: string;
  /** An opaque token for the demo client ("read write") or the reader client ("read"), remembered as a secret. */
  token(scope?: string, client?: 'demo' | 'reader'): Promise<string>;
  /** A handler configured against these peers; `env` overrides or adds variables. */
  authorizer(env?: Record<string, string>): ReturnType<typeof createAuthorizer>;
  close(): Promise<void>;
}

export async function startPeers(options: OAuthServerOptions = {}): Promise<Peers> {
  const oauth = await startOAuthServer(options);
  const secrets = await startLocalSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.endpoint;
  rememberSecret(DEFAULT_AUTHORIZER_CLIENT.secret);
  const secretArn = secrets.put(
    'phantom-token/authorizer-client',
    JSON.stringify({ client_id: DEFAULT_AUTHORIZER_CLIENT.id, client_secret: DEFAULT_AUTHORIZER_CLIENT.secret }),
  );
  return {
    oauth,
    secrets,
    secretArn,
    async token(scope = 'read write', client = 'demo') {
      const [id, secret] = client === 'demo' ? ['demo-client', 'demo-secret'] : ['reader-client', 'reader-secret'];
      return rememberSecret(await oauth.token(id, secret, scope));
    },
    authorizer(env = {}) {
      return createAuthorizer({
        INTROSPECTION_ENDPOINT: oauth.phantomIntrospectionEndpoint,
        CLIENT_CREDENTIALS_SECRET: secretArn,
        ROUTE_SCOPES: JSON.stringify({ 'GET /echo': ['read'], 'POST /echo': ['write'] }),
        ...env,
      });
    },
    async close() {
      await oauth.close();
      await secrets.close();
    },
  };
}
