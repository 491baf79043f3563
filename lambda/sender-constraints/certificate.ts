import { X509Certificate } from 'node:crypto';
import type { SenderConstraintDenyReason } from './reasons.js';

/**
 * RFC 8705 §3: a certificate-bound token is used only over mutual TLS with the certificate it is
 * bound to: `x5t#S256` is the base64url SHA-256 of that certificate's DER encoding. API Gateway
 * has verified the certificate against the custom domain's truststore before the authorizer
 * runs; this checks only that it is the token's. `undefined` when it is.
 */
export function checkClientCertificate(pem: string | undefined, x5tS256: string): SenderConstraintDenyReason | undefined {
  if (pem === undefined || pem === '') return 'client_cert_missing';
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return 'cert_mismatch';
  }
  return certificateThumbprint(certificate) === x5tS256 ? undefined : 'cert_mismatch';
}

/** `x5t#S256` of a certificate: the SHA-256 of its DER, base64url. */
export function certificateThumbprint(certificate: X509Certificate): string {
  return Buffer.from(certificate.fingerprint256.replaceAll(':', ''), 'hex').toString('base64url');
}
