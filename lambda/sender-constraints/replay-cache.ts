import type { ReplayStore } from './replay-store.js';

/**
 * The per-instance replay store: proof keys in memory until they expire, bounded in count. When
 * full, the oldest claim goes first, so an instance flooded with more valid proofs than it can
 * hold within one window forgets the oldest early; a replay to another instance is not seen at
 * all (the shared store, `DPOP_REPLAY_TABLE`, sees both).
 */
export class ReplayCache implements ReplayStore {
  private readonly expiries = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.expiries.size;
  }

  claim(key: string, expiresAt: number, nowSeconds = Date.now() / 1000): boolean {
    const known = this.expiries.get(key);
    // `expiresAt` is the last moment the proof is accepted (its iat + the window): a claim until then is a replay.
    if (known !== undefined && known >= nowSeconds) return false;
    this.expiries.delete(key);
    // Claims arrive in roughly expiry order: drop expired ones from the front, then the oldest if still full.
    for (const [oldest, expiry] of this.expiries) {
      if (expiry >= nowSeconds && this.expiries.size < this.maxEntries) break;
      this.expiries.delete(oldest);
    }
    this.expiries.set(key, expiresAt);
    return true;
  }
}
