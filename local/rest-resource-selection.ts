import type { RouteLike, RouteMatch } from './route-selection.js';

/**
 * REST API resource selection: a walk down the resource tree, not HTTP API route selection. At each
 * path segment the child resource whose path part is that literal is taken; only when there is none,
 * a `{param}` child; only when there is none of those either, a greedy `{param+}` child, which takes
 * the rest of the path. There is no backtracking: once `/parent` is taken, a sibling `/{proxy+}`
 * no longer applies — "/{proxy+} refers to any resources under the root resource except for the
 * /parent[/*] resources"
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html).
 * On the resource reached, the request's own method, else `ANY`. Nothing → undefined (API Gateway
 * answers MISSING_AUTHENTICATION_TOKEN, 403).
 *
 * `resources` are every resource path of the API (`/`, `/echo`, `/orders/{id}`, `/{proxy+}`),
 * including the ones with no method of their own; the methods' paths are added to them.
 */
export function selectRestMethod<R extends RouteLike>(
  methods: readonly R[],
  resources: readonly string[],
  httpMethod: string,
  path: string,
): RouteMatch<R> | undefined {
  // Each resource's ancestors are resources too (`/orders/{id}` has `/orders`).
  const all = new Set<string>();
  for (const resource of [...resources, ...methods.map((method) => method.path)]) {
    const parts = resource.split('/').slice(1);
    for (let n = 1; n <= parts.length; n += 1) all.add(`/${parts.slice(0, n).join('/')}`);
  }
  const children = new Map<string, string[]>();
  for (const resource of all) {
    if (resource === '/') continue;
    const at = resource.lastIndexOf('/');
    const parent = at === 0 ? '/' : resource.slice(0, at);
    children.set(parent, [...(children.get(parent) ?? []), resource.slice(at + 1)]);
  }
  const segments = path === '/' ? [] : path.slice(1).split('/');
  let current = '/';
  const pathParameters: Record<string, string> = {};
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] as string;
    const parts = children.get(current) ?? [];
    const join = (part: string) => (current === '/' ? `/${part}` : `${current}/${part}`);
    if (segment !== '' && parts.includes(segment) && !/^\{.*\}$/.test(segment)) {
      current = join(segment);
      continue;
    }
    const variable = parts.find((part) => /^\{[^}+]+\}$/.test(part));
    if (variable !== undefined && segment !== '') {
      pathParameters[variable.slice(1, -1)] = segment;
      current = join(variable);
      continue;
    }
    const greedy = parts.find((part) => /^\{[^}]+\+\}$/.test(part));
    const rest = segments.slice(i).join('/');
    if (greedy !== undefined && rest !== '') {
      pathParameters[greedy.slice(1, -2)] = rest;
      current = join(greedy);
      break;
    }
    return undefined;
  }
  const onResource = methods.filter((method) => method.path === current);
  const route = onResource.find((method) => method.method === httpMethod) ?? onResource.find((method) => method.method === 'ANY');
  return route === undefined ? undefined : { route, pathParameters };
}
