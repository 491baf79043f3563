import type { LocalRoute } from './template.js';

/**
 * HTTP API route selection, as the developer guide's "Routing API requests" describes it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html):
 *
 * 1. a full match for the route and method (a path whose every segment matches, `{id}` variables
 *    included; the page's `GET /pets/dog/2` "fully matches" `GET /pets/dog/{id}`);
 * 2. a match for the route and method with a greedy path variable (`{proxy+}`);
 * 3. the `$default` route;
 *
 * and otherwise no route (API Gateway answers 404 `{"message":"Not Found"}`).
 *
 * Within a tier the most specific route wins. The page shows a static route beating a variable one
 * (`GET /pets/dog/1` over `GET /pets/dog/{id}`) and a longer greedy route beating a shorter one
 * (`GET /pets/{proxy+}` over `ANY /{proxy+}`); `ANY` "matches all methods that you haven't defined
 * for a route", so for the same path a route with the request's own method beats `ANY`. The order
 * used here: among greedy routes the longest prefix first; then, segment by segment from the left,
 * a literal beats a variable; then the request's method beats `ANY`.
 */
/** What selection reads of a route; REST methods (local/rest-api-gateway.ts) are selected the same way. */
export type RouteLike = Pick<LocalRoute, 'routeKey' | 'method' | 'path'>;

export interface RouteMatch<R extends RouteLike = LocalRoute> {
  readonly route: R;
  readonly pathParameters: Record<string, string>;
}

type Segment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'variable' | 'greedy'; readonly name: string };

interface Candidate<R extends RouteLike> extends RouteMatch<R> {
  readonly segments: readonly Segment[];
  readonly greedy: boolean;
  readonly exactMethod: boolean;
}

export function selectRoute<R extends RouteLike>(routes: readonly R[], method: string, path: string): RouteMatch<R> | undefined {
  const candidates: Candidate<R>[] = [];
  for (const route of routes) {
    if (route.routeKey === '$default') continue;
    if (route.method !== method && route.method !== 'ANY') continue;
    const segments = parseRoutePath(route.path);
    const pathParameters = matchSegments(segments, path);
    if (pathParameters === undefined) continue;
    candidates.push({
      route,
      pathParameters,
      segments,
      greedy: segments.at(-1)?.kind === 'greedy',
      exactMethod: route.method === method,
    });
  }
  const [best] = candidates.sort(compareCandidates);
  if (best !== undefined) return { route: best.route, pathParameters: best.pathParameters };
  const fallback = routes.find((route) => route.routeKey === '$default');
  return fallback === undefined ? undefined : { route: fallback, pathParameters: {} };
}

/** Negative when `a` is the better match. */
function compareCandidates(a: Candidate<RouteLike>, b: Candidate<RouteLike>): number {
  if (a.greedy !== b.greedy) return a.greedy ? 1 : -1;
  if (a.greedy && a.segments.length !== b.segments.length) return b.segments.length - a.segments.length;
  for (let i = 0; i < Math.min(a.segments.length, b.segments.length); i += 1) {
    const literalA = a.segments[i]?.kind === 'literal';
    const literalB = b.segments[i]?.kind === 'literal';
    if (literalA !== literalB) return literalA ? -1 : 1;
  }
  if (a.exactMethod !== b.exactMethod) return a.exactMethod ? -1 : 1;
  return 0;
}

function parseRoutePath(routePath: string): Segment[] {
  return routePath
    .split('/')
    .slice(1)
    .map((segment): Segment => {
      const variable = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (variable === null) return { kind: 'literal', text: segment };
      return { kind: variable[2] === '+' ? 'greedy' : 'variable', name: variable[1] as string };
    });
}

/** `/orders/{id}` against `/orders/42` → `{ id: '42' }`; `{proxy+}` takes the rest (at least one character). */
function matchSegments(segments: readonly Segment[], path: string): Record<string, string> | undefined {
  if (!path.startsWith('/')) return undefined;
  const parts = path.slice(1).split('/');
  const parameters: Record<string, string> = {};
  for (const [i, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = parts.slice(i).join('/');
      if (rest === '') return undefined;
      parameters[segment.name] = rest;
      return parameters;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal' ? part !== segment.text : part === '') return undefined;
    if (segment.kind === 'variable') parameters[segment.name] = part;
  }
  return parts.length === segments.length ? parameters : undefined;
}
