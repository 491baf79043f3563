/**
 * The key an authorizer's answer is cached under: the authorizer and its identity-source values, in
 * order, encoded so that no two different lists share a key (JSON: a value holding a newline or a
 * comma stays one value — `?a=x%0Ay&b=z` and `?a=x&b=y%0Az` are two entries, not one).
 */
export function cacheKey(authorizerId: string, identityValues: readonly string[]): string {
  return JSON.stringify([authorizerId, ...identityValues]);
}
