import type { AuthorizerRequest, RequestPresentation } from '../authorizer-event.js';
import type { TokenScheme } from '../bearer-token.js';
import type { AuthorizerConfig } from '../config.js';
import { type Deadline, settleBy } from '../deadline.js';
import type { ActiveToken } from '../introspection-client.js';
import { holdsAudience } from './audience.js';
import { checkClientCertificate } from './certificate.js';
import { ExpectedHtu } from './dpop-htu.js';
import { checkDpopProof, type ProofPolicy } from './dpop-proof.js';
import type { SenderConstraintDenyReason } from './reasons.js';
import type { ReplayStore } from './replay-store.js';

/** How tokens must be used: the parts of the configuration these checks read. */
export type SenderConstraintConfig = Pick<
  AuthorizerConfig,
  'audience' | 'apiAudiences' | 'senderConstrainedTokens' | 'dpopAlgorithms' | 'dpopProofMaxAgeSeconds' | 'dpopPublicBaseUrls'
>;

/** How the token arrived: its scheme and its SHA-256 (base64url, the cache key and DPoP's `ath`). */
export interface PresentedToken {
  readonly scheme: TokenScheme;
  readonly hash: string;
}

const NO_PRESENTATION: RequestPresentation = {
  dpop: undefined,
  method: undefined,
  domainName: undefined,
  path: undefined,
  clientCertPem: undefined,
};

/**
 * Whether this request may use this active token, checked on every request, cached token or
 * not: its audience (RFC 9068 §4), then its binding (RFC 7800 `cnf`): a DPoP proof for a
 * `cnf.jkt` (RFC 9449 §7), the client certificate for a `cnf["x5t#S256"]` (RFC 8705 §3), both
 * when it has both. Answers the deny reason, or `undefined` when the token may be used.
 */
export class SenderConstraints {
  private readonly policy: ProofPolicy;
  private readonly htu: ExpectedHtu;

  constructor(
    private readonly config: SenderConstraintConfig,
    private readonly replay: ReplayStore,
  ) {
    this.policy = { algorithms: config.dpopAlgorithms, maxAgeSeconds: config.dpopProofMaxAgeSeconds };
    this.htu = new ExpectedHtu(config.dpopPublicBaseUrls);
  }

  async check(
    request: AuthorizerRequest,
    presented: PresentedToken,
    token: ActiveToken,
    deadline?: Deadline,
  ): Promise<SenderConstraintDenyReason | undefined> {
    if (!holdsAudience(this.config, request, token)) return 'wrong_audience';
    const cnf = token.cnf;
    // RFC 9449 §7.1: the proof's key must be the token's; a token bound to no key has none to match.
    if (cnf === undefined) return presented.scheme === 'DPoP' ? 'unbound_token_as_dpop' : undefined;
    if (!this.config.senderConstrainedTokens) return 'sender_constrained_tokens_disabled';
    if (cnf.jkt === undefined && cnf.x5tS256 === undefined) return 'unsupported_cnf';
    const presentation = request.presentation ?? NO_PRESENTATION;
    if (cnf.x5tS256 !== undefined) {
      const certificate = checkClientCertificate(presentation.clientCertPem, cnf.x5tS256);
      if (certificate !== undefined) return certificate;
    }
    if (cnf.jkt === undefined) return presented.scheme === 'DPoP' ? 'unbound_token_as_dpop' : undefined;
    // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is rejected, proof or not.
    if (presented.scheme !== 'DPoP') return 'bound_token_as_bearer';
    const proof = await checkDpopProof(
      presentation.dpop,
      {
        method: presentation.method,
        htu: this.htu.of(presentation),
        tokenHash: presented.hash,
        jkt: cnf.jkt,
      },
      this.policy,
    );
    if (!proof.ok) return proof.reason;
    const claimed = this.replay.claim(proof.replayKey, proof.expiresAt);
    // A shared store answers over the network: within what is left of the decision's budget.
    const first =
      typeof claimed === 'boolean' || deadline === undefined
        ? await claimed
        : await settleBy(claimed, deadline, 'recording the DPoP proof');
    return first ? undefined : 'dpop_replay';
  }
}
