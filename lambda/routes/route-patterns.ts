/**
 * Routes as patterns over execute-api ARNs: what a policy resource matches, and what requests a
 * route can receive. Pure data code shared by the function (which writes policy resources from
 * its route table) and the construct (which plans that table and proves at synth time that each
 * cached answer is exact).
 *
 * A request's ARN is `arn:aws:execute-api:region:account:api-id/stage/METHOD/path`. The function
 * writes every resource as that prefix, taken literally from the request's own ARN, followed by a
 * glob over `METHOD/path`. Two readings of IAM's resource wildcards are possible (IAM JSON policy
 * elements: Resource, "Using wildcards in resource ARNs"), and nobody here can check which one API
 * Gateway applies to authorizer policies:
 * - *crosses colons*: `*` matches any run of characters, `/` and `:` included; `?` any one;
 * - *segments*: wildcards match within the colon-separated segments of the ARN; only a `*` that
 *   ends a segment (followed by `:`, or last) matches across colons.
 * Every match under *segments* is a match under *crosses colons*, so the proofs here use the
 * wider reading, and {@link colonVariants} makes a glob match the same requests under both.
 * `*` crosses `/` under both: `GET/orders/*` matches `GET /orders/42` and also
 * `GET /orders/42/items`, which is what {@link globMeetsRoute} finds out.
 */

/** The methods a route can name, and the only ones an answer ever allows (HTTP API and REST alike). */
export const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

/**
 * Most inner `*` (path variables before the end) a glob may have: a denied route with more could
 * not be denied under both readings without 2^n variants (see {@link colonVariants}).
 */
export const MAX_INNER_WILDCARDS = 4;

/** One step of a pattern: a character class, taken once or any number of times (`star`). */
interface Atom {
  /** A literal character, `notSlash` (a path variable's characters) or `any`. */
  readonly cls: string | { readonly notSlash: true } | { readonly any: true };
  readonly star: boolean;
}

const ANY = { any: true } as const;
const NOT_SLASH = { notSlash: true } as const;

/** `GET /orders/{id}` → its method and path; `$default` → undefined. */
export function splitRouteKey(routeKey: string): { readonly method: string; readonly path: string } | undefined {
  if (routeKey === '$default') return undefined;
  const space = routeKey.indexOf(' ');
  return { method: routeKey.slice(0, space), path: routeKey.slice(space + 1) };
}

/** The path as a glob: each `{name}` and `{name+}` becomes `*`. */
function pathGlob(path: string): string {
  return path.replace(/\{[^}]*\}/g, '*');
}

/** The methods whose requests reach a route: its own; for `ANY` and `$default` every method but `exceptMethods`. */
function methodsOf(routeKey: string, exceptMethods: readonly string[]): readonly string[] {
  const route = splitRouteKey(routeKey);
  if (route !== undefined && route.method !== 'ANY') return [route.method];
  return HTTP_METHODS.filter((method) => !exceptMethods.includes(method));
}

/**
 * The globs (after `…/stage/`) that match every request of the route in its canonical spelling,
 * one per method: `METHOD/path` with path variables as `*`; `ANY` and `$default` one per method of
 * {@link HTTP_METHODS} except `exceptMethods` (methods with routes of their own on the same path,
 * which take those requests). A method outside the seven is never in a glob, so never allowed.
 */
export function routeGlobs(routeKey: string, exceptMethods: readonly string[] = []): string[] {
  const route = splitRouteKey(routeKey);
  const glob = route === undefined ? '/*' : pathGlob(route.path);
  return methodsOf(routeKey, exceptMethods).map((method) => `${method}${glob}`);
}

/**
 * The same glob for the request's path with a trailing `/` (`GET/orders` → `GET/orders/`); none
 * when the glob already matches it (ends in `*` or `/`). Whether API Gateway sends `/x/` to the
 * route `/x`, and whether the ARN keeps the slash, is not documented: answers deny this spelling
 * wherever they deny the route, and allow it only where no other route could receive it.
 */
export function trailingSlashGlob(glob: string): string | undefined {
  return glob.endsWith('*') || glob.endsWith('/') ? undefined : `${glob}/`;
}

/** The positions of a glob's inner `*` (every `*` but a last one). */
function innerStars(glob: string): number[] {
  const positions: number[] = [];
  for (let i = 0; i < glob.length - 1; i += 1) if (glob[i] === '*') positions.push(i);
  return positions;
}

/**
 * The glob and its colon variants: for every non-empty set of its inner `*`, the glob with each of
 * them written `*:*`. Under *segments* an inner `*` matches no `:`, while `*:*` matches a run that
 * holds at least one (its first `*` ends a segment); under *crosses colons* a variant matches a
 * subset of what the glob matches. Together they match, under either reading, exactly the requests
 * the glob matches under *crosses colons*. Throws past {@link MAX_INNER_WILDCARDS}.
 */
export function colonVariants(glob: string): string[] {
  const stars = innerStars(glob);
  if (stars.length > MAX_INNER_WILDCARDS) {
    throw new RangeError(`a route glob may have at most ${MAX_INNER_WILDCARDS} inner wildcards; received ${JSON.stringify(glob)}`);
  }
  const variants = [glob];
  for (let mask = 1; mask < 2 ** stars.length; mask += 1) {
    let variant = '';
    let from = 0;
    stars.forEach((position, i) => {
      variant += glob.slice(from, position + 1) + (mask & (1 << i) ? ':*' : '');
      from = position + 1;
    });
    variants.push(variant + glob.slice(from));
  }
  return variants;
}

/** A route whose canonical glob matches its own requests and nothing else: one method, no path variable. */
export function isLiteralRoute(routeKey: string): boolean {
  const route = splitRouteKey(routeKey);
  return route !== undefined && route.method !== 'ANY' && !route.path.includes('{');
}

function globAtoms(glob: string): Atom[] {
  return [...glob].map((char) => (char === '*' ? { cls: ANY, star: true } : { cls: char === '?' ? ANY : char, star: false }));
}

/**
 * The requests a route can receive, as `METHOD/path` strings, atom lists: literal segments as
 * they are, `{name}` one or more characters other than `/`, `{name+}` one or more of any, and each
 * also with a trailing `/`; `$default` any method and any path; `ANY` every method but
 * `exceptMethods`. Methods outside {@link HTTP_METHODS} are left out: no glob names them.
 */
function routeAtoms(routeKey: string, exceptMethods: readonly string[]): Atom[][] {
  const route = splitRouteKey(routeKey);
  const path: Atom[] = [];
  if (route === undefined) path.push({ cls: '/', star: false }, { cls: ANY, star: true });
  else {
    for (const segment of route.path.split('/').slice(1)) {
      path.push({ cls: '/', star: false });
      const variable = /^\{[^}]+\}$/.test(segment);
      if (!variable) for (const char of segment) path.push({ cls: char, star: false });
      else {
        const cls = segment.endsWith('+}') ? ANY : NOT_SLASH;
        path.push({ cls, star: false }, { cls, star: true });
      }
    }
  }
  const spellings = route === undefined || route.path.endsWith('/') ? [path] : [path, [...path, { cls: '/', star: false }]];
  return methodsOf(routeKey, exceptMethods).flatMap((method) =>
    spellings.map((spelling) => [...[...method].map((char) => ({ cls: char, star: false })), ...spelling]),
  );
}

/** Whether one character belongs to both classes. */
function meets(a: Atom['cls'], b: Atom['cls']): boolean {
  if (typeof a === 'string') return typeof b === 'string' ? a === b : 'any' in b || a !== '/';
  if (typeof b === 'string') return 'any' in a || b !== '/';
  return true;
}

/** Whether some string matches both atom lists (a walk over the product of the two automata). */
function intersect(a: readonly Atom[], b: readonly Atom[]): boolean {
  const seen = new Set<number>();
  const width = b.length + 1;
  const stack: [number, number][] = [[0, 0]];
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    if (x?.star) stack.push([i + 1, j]);
    if (y?.star) stack.push([i, j + 1]);
    if (x !== undefined && y !== undefined && meets(x.cls, y.cls)) stack.push([x.star ? i : i + 1, y.star ? j : j + 1]);
  }
  return false;
}

/**
 * Whether the glob (after `…/stage/`) matches, under *crosses colons*, some request the route can
 * receive (with or without a trailing `/`); for an `ANY` route, `exceptMethods` are the methods
 * with routes of their own on its path, which take those requests.
 */
export function globMeetsRoute(glob: string, routeKey: string, exceptMethods: readonly string[] = []): boolean {
  const atoms = globAtoms(glob);
  return routeAtoms(routeKey, exceptMethods).some((route) => intersect(atoms, route));
}

/** Whether the glob matches `METHOD/path` under *crosses colons* (IAM's wider reading). */
export function globMatches(glob: string, value: string): boolean {
  return intersect(
    globAtoms(glob),
    [...value].map((char) => ({ cls: char, star: false })),
  );
}
