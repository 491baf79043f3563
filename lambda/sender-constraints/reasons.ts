/**
 * The deny reasons of audience and sender-constraint checks, as the decision line's `reason`
 * names them: one fixed, bounded list (a metric dimension may take exactly these values). Every
 * one of them is an invalid token for the client (HTTP API 403, REST 401).
 */
export const SENDER_CONSTRAINT_DENY_REASONS = [
  /** The token's `aud` does not hold the audience this API requires (RFC 9068 §4). */
  'wrong_audience',
  /** A DPoP-bound token (`cnf.jkt`) presented with the Bearer scheme (RFC 9449 §7.2). */
  'bound_token_as_bearer',
  /** The DPoP scheme with a token the server did not bind to a key (RFC 9449 §7.1: nothing to prove). */
  'unbound_token_as_dpop',
  /** A DPoP-bound token without a `DPoP` proof header. */
  'dpop_proof_missing',
  /** A proof that is not one well-formed, correctly typed, signed JWT with a public key and the required claims (RFC 9449 §4.3 1–7). */
  'invalid_dpop_proof',
  /** The proof's key is not the key the token is bound to (its RFC 7638 thumbprint differs from `cnf.jkt`). */
  'dpop_key_mismatch',
  /** The proof's `ath` is not the hash of the presented token: a proof made for another token. */
  'dpop_ath_mismatch',
  /** The proof's `htm` is not the request's method. */
  'dpop_htm_mismatch',
  /** The proof's `htu` is not the URL the client called (see `DPOP_PUBLIC_BASE_URLS` for custom domains). */
  'dpop_htu_mismatch',
  /** The proof's `iat` is further from now than `DPOP_PROOF_MAX_AGE_SECONDS`. */
  'dpop_proof_expired',
  /** A proof (key and `jti`) already used within its window. */
  'dpop_replay',
  /** A certificate-bound token (`cnf["x5t#S256"]`) without a client certificate in the request (RFC 8705 §3). */
  'client_cert_missing',
  /** The client certificate's SHA-256 thumbprint is not the token's `cnf["x5t#S256"]`. */
  'cert_mismatch',
  /** A `cnf` claim with no confirmation method this authorizer checks (`jkt`, `x5t#S256`): it cannot prove the holder. */
  'unsupported_cnf',
  /**
   * A bound token while API Gateway may cache decisions (`SENDER_CONSTRAINED_TOKENS` is not `true`):
   * a cached allow would let the token pass without its proof or certificate.
   */
  'sender_constrained_tokens_disabled',
] as const;

export type SenderConstraintDenyReason = (typeof SENDER_CONSTRAINT_DENY_REASONS)[number];
