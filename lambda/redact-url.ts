/**
 * URLs as messages show them. Every message that names a URL (or a value meant as one) names it
 * through {@link redactUrl}: a configuration error is logged at every cold start and on every
 * invocation, so whatever it echoes reaches the logs many times over.
 */

/**
 * The value with any userinfo, query and fragment replaced by `***`: `https://***@host/path?***`.
 * Userinfo is everything after the scheme and its slashes up to the last `@` in the value (see
 * {@link redactUserinfo}); the query (or the fragment, when there is no query) is everything from
 * the first `?` or `#` after it. Both are wider than RFC 3986's on purpose: a password or a key
 * typed without percent-encoding may hold any of those characters, and a message that hides part
 * of a path costs nothing. A value without `@`, `?` or `#` is shown as it is.
 */
export function redactUrl(value: string): string {
  const shown = redactUserinfo(value);
  const query = shown.search(/[?#]/);
  return query === -1 ? shown : `${shown.slice(0, query + 1)}***`;
}

/**
 * The value with any userinfo replaced by `***`: everything after the scheme and its slashes up to
 * the last `@` in the value. That is wider than RFC 3986's authority (which ends at the first `/`,
 * `?` or `#`) on purpose: a password typed without percent-encoding may hold those characters. No
 * `@`, nothing hidden.
 */
export function redactUserinfo(value: string): string {
  const at = value.lastIndexOf('@');
  if (at === -1) return value;
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:[/\\]*/.exec(value);
  const start = scheme === null || scheme[0].length > at ? 0 : scheme[0].length;
  return `${value.slice(0, start)}***${value.slice(at)}`;
}

/**
 * A configuration value as a message shows it: its JSON, with every string in it (the value itself,
 * or any string nested in an object or array) shown through {@link redactUrl}.
 */
export function showValue(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? redactUrl(item) : item)) ?? String(value);
}
