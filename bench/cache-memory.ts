import { hash } from 'node:crypto';
import { TokenCache } from '../lambda/token-cache.js';

/**
 * Benchmark 4: heap bytes per cached entry beyond the JWT's own length, at 10k and 100k entries,
 * in a process started with --expose-gc. Each entry is what a miss stores: the token's SHA-256
 * key (base64url, as the authorizer computes it), the decoded claims and a distinct JWT of realistic length.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const JWT_LENGTH = 760;
function jwt(i: number): string {
  const id = i.toString(36).padStart(8, '0');
  return `eyJhbGciOiJSUzI1NiJ9.${id}${'x'.repeat(JWT_LENGTH - 21 - 8 - 44)}.${'s'.repeat(43)}`;
}

function measure(count: number): number {
  gc?.();
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const cache = new TokenCache(count, { maxTtlSeconds: 300, negativeTtlSeconds: 10 });
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const scope = 'read write';
    cache.set(
      hash('sha256', `token-${i}`, 'base64url'),
      { jwt: jwt(i), sub: `user-${i}`, clientId: 'demo-client', scope, scopes: scope.split(' '), exp: now / 1000 + 3600 },
      undefined,
      now,
    );
  }
  gc?.();
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (cache.size !== count) throw new Error(`expected ${count} entries, found ${cache.size}`);
  // A sequential one-byte string of n characters takes about n bytes plus a 16-byte header.
  return (after - before) / count - JWT_LENGTH;
}

for (const count of [10_000, 100_000]) {
  const samples = [1, 2, 3].map(() => measure(count)).sort((a, b) => a - b);
  console.log(
    `4. heap per entry at ${String(count).padStart(6)}: median ${samples[1]?.toFixed(0)} bytes beyond the ${JWT_LENGTH}-byte JWT (min ${samples[0]?.toFixed(0)}, max ${samples[2]?.toFixed(0)}; 3 runs)`,
  );
}
