import { Duration, Token } from 'aws-cdk-lib';
import { DEFAULTS, DPOP_ALGORITHMS, ENV, LIMITS } from '../lambda/environment.js';
import type { PhantomTokenAuthorizerProps } from './props.js';

/**
 * Synth-time wiring of sender-constrained tokens (DPoP, RFC 9449; certificate-bound, RFC 8705):
 * the function's environment, the gateway cache TTL that keeps every proof checked, and the
 * REST challenge that announces the DPoP scheme.
 */

/** API Gateway's decision cache: off when bound tokens are allowed (a cached allow would skip the proof). */
export function gatewayCacheTtl(props: PhantomTokenAuthorizerProps): Duration {
  return props.senderConstrainedTokens === true ? Duration.seconds(0) : (props.resultsCacheTtl ?? Duration.seconds(60));
}

/** `DPoP realm="…", algs="…"` (RFC 9449 §7.1) for REST 401 responses, or `undefined` when bound tokens are off. */
export function dpopChallenge(props: PhantomTokenAuthorizerProps): string | undefined {
  if (props.senderConstrainedTokens !== true) return undefined;
  return `DPoP realm="${props.realm ?? DEFAULTS.realm}", algs="${(props.dpopAlgorithms ?? DPOP_ALGORITHMS).join(' ')}"`;
}

/** The environment variables of these props, only those set. */
export function senderConstraintEnvironment(props: PhantomTokenAuthorizerProps): Record<string, string> {
  const environment: Record<string, string> = {};
  if (props.senderConstrainedTokens === true) environment[ENV.senderConstrainedTokens] = 'true';
  if (props.dpopAlgorithms !== undefined) environment[ENV.dpopAlgorithms] = props.dpopAlgorithms.join(' ');
  if (props.dpopProofMaxAge !== undefined) environment[ENV.dpopProofMaxAgeSeconds] = String(props.dpopProofMaxAge.toSeconds());
  if (props.dpopPublicBaseUrls !== undefined) environment[ENV.dpopPublicBaseUrls] = JSON.stringify(props.dpopPublicBaseUrls);
  return environment;
}

/** Throws naming the prop, the rule and the value. */
export function validateSenderConstraintProps(props: PhantomTokenAuthorizerProps): void {
  const ttl = props.resultsCacheTtl;
  if (props.senderConstrainedTokens === true && ttl !== undefined && !ttl.isUnresolved() && ttl.toMilliseconds({ integral: false }) !== 0) {
    throw new Error(
      `resultsCacheTtl must be unset or 0 when senderConstrainedTokens is true (a cached decision would let a bound token pass without its proof); received ${ttl.toSeconds({ integral: false })} seconds`,
    );
  }
  if (props.sharedDpopReplayStore === true && props.senderConstrainedTokens !== true) {
    throw new Error('sharedDpopReplayStore needs senderConstrainedTokens: true (without it no DPoP proof is ever accepted)');
  }
  if (props.pointInTimeRecovery === true && props.sharedDpopReplayStore !== true) {
    throw new Error('pointInTimeRecovery applies to the shared DPoP replay table only: set sharedDpopReplayStore: true, or remove it');
  }
  if (props.dpopAlgorithms !== undefined) {
    if (props.dpopAlgorithms.length === 0) throw new Error('dpopAlgorithms must name at least one algorithm; received []');
    for (const alg of props.dpopAlgorithms) {
      if (!Token.isUnresolved(alg) && !(DPOP_ALGORITHMS as readonly string[]).includes(alg)) {
        throw new Error(
          `dpopAlgorithms must be asymmetric JWS algorithms from ${DPOP_ALGORITHMS.join(', ')}; received ${JSON.stringify(alg)}`,
        );
      }
    }
  }
  const maxAge = props.dpopProofMaxAge;
  if (maxAge !== undefined && !maxAge.isUnresolved()) {
    const seconds = maxAge.toMilliseconds({ integral: false }) / 1_000;
    const { min, max } = LIMITS.dpopProofMaxAgeSeconds;
    if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
      throw new Error(`dpopProofMaxAge must be a whole number of seconds from ${min} to ${max}; received ${seconds} seconds`);
    }
  }
  for (const [domain, url] of Object.entries(props.dpopPublicBaseUrls ?? {})) {
    if (Token.isUnresolved(url) || Token.isUnresolved(domain)) continue;
    if (!isBaseUrl(url)) {
      throw new Error(
        `dpopPublicBaseUrls["${domain}"] must be an absolute https URL without query, fragment or credentials; received ${JSON.stringify(url)}`,
      );
    }
  }
}

function isBaseUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  return (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) && !url.username && !url.password && !/[?#]/.test(value);
}
