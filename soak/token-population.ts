import { hash, randomBytes } from 'node:crypto';
import type { DemoClient } from '../local/oauth-server.js';
import { basic } from './basic-auth.js';
import type { IdentityServer } from './identity-server.js';
import type { Random } from './random.js';
import type { TokenKind, TokenRecord } from './records.js';

/** The client whose tokens expire during the run (`ttlSeconds` set from the settings). */
export function shortLivedClient(ttlSeconds: number): DemoClient {
  return { id: 'soak-short-lived', secret: 'soak-short-lived-secret', scope: 'read write', ttlSeconds };
}

const READ_WRITE: DemoClient = { id: 'demo-client', secret: 'demo-secret', scope: 'read write' };
const READ_ONLY: DemoClient = { id: 'reader-client', secret: 'reader-secret', scope: 'read' };

/** Header values that are no Bearer token at all: the authorizer denies them without asking anyone. */
const MALFORMED = [
  'Basic ZGVtbzpkZW1v',
  'Bearer',
  'Bearer two tokens',
  'Bearer tok\u00e9n',
  `Bearer ${'x'.repeat(5000)}`,
  'bearer,Bearer a',
];

/** How often each kind is picked for a request, out of the sum. */
const MIX: readonly (readonly [TokenKind, number])[] = [
  ['valid', 40],
  ['revoked', 17],
  ['expiring', 18],
  ['junk', 15],
  ['malformed', 5],
  ['missing', 5],
];

interface Member {
  readonly record: TokenRecord;
  /** The `Authorization` header value, or undefined for `missing`. Never printed. */
  readonly authorization: string | undefined;
}

/**
 * The tokens of a soak run and what is known of each over time: valid tokens with the `read write`
 * and `read` scopes, tokens that are revoked during the run, tokens issued during the run that
 * expire in it, junk that was never a token, malformed headers and no header. Tokens are obtained
 * from the real OAuth server; their `exp` is read back by introspection, so the oracle knows it
 * exactly. The tokens themselves stay in this object; records carry labels and hashes.
 */
export class TokenPopulation {
  private readonly members = new Map<string, Member>();
  private readonly byKind = new Map<TokenKind, Member[]>();
  private readonly byAuthorization = new Map<string, Member>();
  private issued = 0;

  constructor(
    private readonly oauth: IdentityServer,
    private readonly introspector: { readonly id: string; readonly secret: string },
    private readonly shortClient: DemoClient,
    private readonly random: Random,
  ) {
    this.add({ label: 'missing', kind: 'missing', hash: undefined, scopes: [], expMs: undefined }, undefined);
    MALFORMED.forEach((header, i) => {
      this.add({ label: `malformed-${i}`, kind: 'malformed', hash: undefined, scopes: [], expMs: undefined }, header);
    });
  }

  get records(): TokenRecord[] {
    return [...this.members.values()].map((member) => member.record);
  }

  /** The population at the start: `valid` tokens of both scopes, the tokens to revoke later, junk. */
  async seed(counts: {
    readonly valid: number;
    readonly revoked: number;
    readonly junk: number;
    readonly expiring: number;
  }): Promise<void> {
    for (let i = 0; i < counts.valid; i++) await this.issue('valid', i % 3 === 2 ? READ_ONLY : READ_WRITE);
    for (let i = 0; i < counts.revoked; i++) await this.issue('revoked', i % 3 === 2 ? READ_ONLY : READ_WRITE);
    for (let i = 0; i < counts.expiring; i++) await this.issueExpiring();
    for (let i = 0; i < counts.junk; i++) this.addJunk();
  }

  /** A token of the short-lived client: it expires during the run. Resolves false if the OAuth server could not issue one. */
  issueExpiring(): Promise<boolean> {
    return this.issue('expiring', this.shortClient).then(
      () => true,
      () => false,
    );
  }

  /** Revokes the next not-yet-revoked token of kind `revoked`; records when the revocation was sent and answered. */
  async revokeNext(): Promise<string | undefined> {
    const member = (this.byKind.get('revoked') ?? []).find((m) => m.record.revokeStartMs === undefined);
    if (member === undefined) return undefined;
    const token = (member.authorization as string).slice('Bearer '.length);
    const client = member.record.scopes.includes('write') ? READ_WRITE : READ_ONLY;
    member.record.revokeStartMs = Date.now();
    try {
      await this.oauth.revoke(token, client);
      member.record.revokeEndMs = Date.now();
    } catch {
      // The answer never came: the token may or may not be revoked; the oracle never counts it as surely revoked.
      member.record.revokeEndMs = Number.POSITIVE_INFINITY;
    }
    return member.record.label;
  }

  /** Picks the token of the next request: a kind by the mix, then a member of that kind; fresh junk now and then. */
  pick(): { readonly label: string; readonly authorization: string | undefined } {
    const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random.next() * total;
    let kind: TokenKind = 'valid';
    for (const [candidate, weight] of MIX) {
      roll -= weight;
      if (roll < 0) {
        kind = candidate;
        break;
      }
    }
    if (kind === 'junk' && this.random.next() < 0.3) this.addJunk();
    const members = this.byKind.get(kind) ?? [];
    // Expiring tokens: mostly the recent ones (a client uses its newest token), sometimes an old one.
    const index =
      kind === 'expiring' && this.random.next() < 0.7
        ? Math.max(0, members.length - 1 - Math.floor(this.random.next() * 3))
        : Math.floor(this.random.next() * members.length);
    const member = members[index] as Member;
    return { label: member.record.label, authorization: member.authorization };
  }

  /** The `Authorization` header value of a member, for the revocation probe; never printed. */
  authorizationOf(label: string): string | undefined {
    return this.members.get(label)?.authorization;
  }

  /** The label of the token in an `Authorization` header value the authorizer received. */
  labelOf(authorization: string | undefined): string | undefined {
    if (authorization === undefined) return 'missing';
    return this.byAuthorization.get(authorization)?.record.label;
  }

  private async issue(kind: TokenKind, client: DemoClient): Promise<void> {
    const token = await this.oauth.token(client);
    const exp = await this.expOf(token);
    this.issued += 1;
    const label = `${kind}-${client.scope === 'read' ? 'r' : 'rw'}-${this.issued}`;
    this.add(
      { label, kind, hash: hash('sha256', token, 'base64url'), scopes: client.scope.split(' '), expMs: exp * 1000 },
      `Bearer ${token}`,
    );
  }

  private addJunk(): void {
    const token = randomBytes(32).toString('base64url');
    const label = `junk-${(this.byKind.get('junk') ?? []).length}`;
    this.add({ label, kind: 'junk', hash: hash('sha256', token, 'base64url'), scopes: [], expMs: undefined }, `Bearer ${token}`);
  }

  /** The token's `exp` as the OAuth server holds it (RFC 7662 introspection, JSON). */
  private async expOf(token: string): Promise<number> {
    const response = await fetch(this.oauth.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: basic(this.introspector.id, this.introspector.secret),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ token }).toString(),
      signal: AbortSignal.timeout(5000),
    });
    const claims = (await response.json()) as { active?: boolean; exp?: number };
    if (claims.active !== true || typeof claims.exp !== 'number')
      throw new Error(`a token just issued is not active (status ${response.status})`);
    return claims.exp;
  }

  private add(record: TokenRecord, authorization: string | undefined): void {
    const member = { record, authorization };
    this.members.set(record.label, member);
    const list = this.byKind.get(record.kind);
    if (list === undefined) this.byKind.set(record.kind, [member]);
    else list.push(member);
    if (authorization !== undefined) this.byAuthorization.set(authorization, member);
  }
}
