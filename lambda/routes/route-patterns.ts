/**
 * Routes as patterns over execute-api ARNs: what a policy resource matches, and what requests a
 * route can receive. Pure data code shared by the function (which writes policy resources) and the
 * construct (which proves at synth time that those resources separate routes exactly).
 *
 * A request's ARN is `arn:aws:execute-api:region:account:api-id/stage/METHOD/path`. The function
 * writes every resource as that prefix, taken literally from the request's own ARN, followed by a
 * glob over `METHOD/path`. In IAM resource globs `*` matches any run of characters, `/` included,
 * and `?` any one character (IAM JSON policy elements: Resource, "Using wildcards in resource ARNs").
 * So `GET/orders/*` matches `GET /orders/42` and also `GET /orders/42/items`: a glob can reach into
 * routes its own route does not contain, which is what {@link globMeetsRoute} finds out.
 */

/** The methods an `ANY` route stands for (HTTP API and REST alike). */
export const HTTP_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'] as const;

/** One step of a pattern: a character class, taken once or any number of times (`star`). */
interface Atom {
  /** A literal character, `notSlash` (a path variable's characters) or `any`. */
  readonly cls: string | { readonly notSlash: true } | { readonly any: true };
  readonly star: boolean;
}

const ANY = { any: true } as const;
const NOT_SLASH = { notSlash: true } as const;

/** `GET /orders/{id}` → `GET /orders/{id}`'s method and path; `$default` → undefined. */
export function splitRouteKey(routeKey: string): { readonly method: string; readonly path: string } | undefined {
  if (routeKey === '$default') return undefined;
  const space = routeKey.indexOf(' ');
  return { method: routeKey.slice(0, space), path: routeKey.slice(space + 1) };
}

/** The path as a glob: each `{name}` and `{name+}` becomes `*`. */
function pathGlob(path: string): string {
  return path.replace(/\{[^}]*\}/g, '*');
}

/**
 * The globs (after `…/stage/`) that match every request the route can receive: `METHOD/path`
 * with path variables as `*`; for `ANY`, one glob per method except `exceptMethods` (methods that
 * have routes of their own on the same path, which take those requests); `$default`: `*`. A glob
 * that ends in a literal also comes with a trailing `/`: API Gateway sends `/x/` to the route `/x`
 * too, and its ARN may keep the slash.
 */
export function routeGlobs(routeKey: string, exceptMethods: readonly string[] = []): string[] {
  const route = splitRouteKey(routeKey);
  if (route === undefined) return ['*'];
  const glob = pathGlob(route.path);
  const methods = route.method === 'ANY' ? HTTP_METHODS.filter((method) => !exceptMethods.includes(method)) : [route.method];
  return methods.flatMap((method) => {
    const exact = `${method}${glob}`;
    return exact.endsWith('*') || exact.endsWith('/') ? [exact] : [exact, `${exact}/`];
  });
}

/** A route whose glob matches its own requests and nothing else: one method, no path variable. */
export function isLiteralRoute(routeKey: string): boolean {
  const route = splitRouteKey(routeKey);
  return route !== undefined && route.method !== 'ANY' && !route.path.includes('{');
}

function globAtoms(glob: string): Atom[] {
  return [...glob].map((char) => (char === '*' ? { cls: ANY, star: true } : { cls: char === '?' ? ANY : char, star: false }));
}

/**
 * The requests a route can receive, as `METHOD/path` strings, one atom list per method: literal
 * segments as they are, `{name}` one or more characters other than `/`, `{name+}` one or more of
 * any; `$default` any method and any path; `ANY` every method but `exceptMethods`.
 */
function routeAtoms(routeKey: string, exceptMethods: readonly string[]): Atom[][] {
  const route = splitRouteKey(routeKey);
  const methods =
    route === undefined || route.method === 'ANY' ? HTTP_METHODS.filter((method) => !exceptMethods.includes(method)) : [route.method];
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
  return methods.map((method) => [...[...method].map((char) => ({ cls: char, star: false })), ...path]);
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
 * Whether the glob (after `…/stage/`) matches some request the route can receive; for an `ANY`
 * route, `exceptMethods` are the methods with routes of their own on its path, which take those requests.
 */
export function globMeetsRoute(glob: string, routeKey: string, exceptMethods: readonly string[] = []): boolean {
  const atoms = globAtoms(glob);
  return routeAtoms(routeKey, exceptMethods).some((route) => intersect(atoms, route));
}

/** Whether the glob matches `METHOD/path` (the local gateway and tests use this; IAM's own rule). */
export function globMatches(glob: string, value: string): boolean {
  return intersect(
    globAtoms(glob),
    [...value].map((char) => ({ cls: char, star: false })),
  );
}
