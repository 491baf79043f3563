/**
 * A JWS algorithm a DPoP proof (RFC 9449) may be signed with: the asymmetric algorithms the
 * function verifies, as `dpopAlgorithms` lists them. The values are `DPOP_ALGORITHMS` of
 * lambda/environment.ts (a test holds them equal; jsii enums take literals).
 *
 * @example
 * new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecretName: 'phantom-token/introspection-client',
 *   senderConstrainedTokens: true,
 *   dpopAlgorithms: [DpopAlgorithm.ES256, DpopAlgorithm.ED_DSA],
 * });
 */
export enum DpopAlgorithm {
  /** ECDSA with P-256 and SHA-256. */
  ES256 = 'ES256',
  /** ECDSA with P-384 and SHA-384. */
  ES384 = 'ES384',
  /** ECDSA with P-521 and SHA-512. */
  ES512 = 'ES512',
  /** RSASSA-PSS with SHA-256. */
  PS256 = 'PS256',
  /** RSASSA-PSS with SHA-384. */
  PS384 = 'PS384',
  /** RSASSA-PSS with SHA-512. */
  PS512 = 'PS512',
  /** RSASSA-PKCS1-v1_5 with SHA-256. */
  RS256 = 'RS256',
  /** RSASSA-PKCS1-v1_5 with SHA-384. */
  RS384 = 'RS384',
  /** RSASSA-PKCS1-v1_5 with SHA-512. */
  RS512 = 'RS512',
  /** EdDSA (RFC 8037). */
  ED_DSA = 'EdDSA',
  /** Ed25519, the fully-specified name of EdDSA over Ed25519. */
  ED25519 = 'Ed25519',
}
