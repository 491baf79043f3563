import { readFileSync } from 'node:fs';
import type { AuthorizerRequest } from '../authorizer-event.js';
import { ENV, ROUTE_KEY_PATTERN, SCOPE_TOKEN_PATTERN } from '../environment.js';
import { ConfigurationInvalidError } from '../errors.js';
import { HTTP_METHODS } from './route-patterns.js';
import { ROUTE_TABLE_VERSION, type TableRoute } from './route-table-format.js';

export type { TableRoute } from './route-table-format.js';

export interface RouteTable {
  readonly routes: ReadonlyMap<string, TableRoute>;
  /** Shared group → its routes, in table order. */
  readonly groups: ReadonlyMap<number, readonly TableRoute[]>;
}

/** A resource glob: a method the function knows, then printable ASCII without spaces or quotes. */
const GLOB_PATTERN = new RegExp(`^(${HTTP_METHODS.join('|')})/[\\x21\\x23-\\x5B\\x5D-\\x7E]*$`);

/** Reads and validates the table file named by `ROUTE_TABLE_FILE`; any flaw is a configuration error. */
export function readRouteTableFile(path: string): RouteTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigurationInvalidError(`${ENV.routeTableFile} names ${JSON.stringify(path)}, which cannot be read`, { cause });
  }
  return parseRouteTable(text);
}

/** Parses the table's JSON: `{"version":1,"routes":[{routeKey, scopes, group, allow, deny, reachedBy}]}`. */
export function parseRouteTable(json: string): RouteTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new ConfigurationInvalidError('the route table must be JSON', { cause });
  }
  const { version, routes } = (parsed ?? {}) as { version?: unknown; routes?: unknown };
  if (version !== ROUTE_TABLE_VERSION || !Array.isArray(routes)) {
    throw new ConfigurationInvalidError(
      `the route table must be {"version":${ROUTE_TABLE_VERSION},"routes":[…]}; received version ${JSON.stringify(version)}`,
    );
  }
  const table = new Map<string, TableRoute>();
  for (const raw of routes) {
    const route = tableRoute(raw);
    if (table.has(route.routeKey)) throw new ConfigurationInvalidError(`the route table lists ${route.routeKey} twice`);
    table.set(route.routeKey, route);
  }
  const groups = new Map<number, TableRoute[]>();
  for (const route of table.values()) {
    for (const key of route.reachedBy) {
      if (table.get(key)?.group !== route.group || route.group === 'route') {
        throw new ConfigurationInvalidError(`the route table's ${route.routeKey} is reached by ${key}, which is not a route of its group`);
      }
    }
    if (route.group !== 'route') groups.set(route.group, [...(groups.get(route.group) ?? []), route]);
  }
  return { routes: table, groups };
}

function tableRoute(raw: unknown): TableRoute {
  const { routeKey, scopes, group, allow, deny, reachedBy } = (raw ?? {}) as Record<string, unknown>;
  const where = `the route table's entry ${JSON.stringify(routeKey)}`;
  if (typeof routeKey !== 'string' || !ROUTE_KEY_PATTERN.test(routeKey)) {
    throw new ConfigurationInvalidError(`${where} must have a routeKey "$default" or "METHOD /path"`);
  }
  if (!strings(scopes, (scope) => SCOPE_TOKEN_PATTERN.test(scope))) {
    throw new ConfigurationInvalidError(`${where} must have scopes, an array of RFC 6749 scope tokens`);
  }
  if (!(group === 'route' || (Number.isInteger(group) && (group as number) >= 0))) {
    throw new ConfigurationInvalidError(`${where} must have a group, a whole number or "route"; received ${JSON.stringify(group)}`);
  }
  if (!strings(allow, (glob) => GLOB_PATTERN.test(glob)) || !strings(deny, (glob) => GLOB_PATTERN.test(glob))) {
    throw new ConfigurationInvalidError(`${where} must have allow and deny, arrays of METHOD/path globs of a known method`);
  }
  if (!strings(reachedBy, (key) => ROUTE_KEY_PATTERN.test(key))) {
    throw new ConfigurationInvalidError(`${where} must have reachedBy, an array of route keys`);
  }
  return { routeKey, scopes, group: group as number | 'route', allow, deny, reachedBy };
}

function strings(value: unknown, valid: (item: string) => boolean): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string' && valid(item));
}

/**
 * The table's route of a request, as API Gateway routed it: payload 2.0 names the route that
 * matched (`ANY /x` or `GET /x`); REST and payload 1.0 name the method and resource (`GET /x`),
 * also when the matched method is `ANY /x`, so that is looked up when `GET /x` is not a route.
 * `undefined`: the route is not in the table.
 */
export function findRoute(table: RouteTable, request: Pick<AuthorizerRequest, 'format' | 'routeKey'>): TableRoute | undefined {
  const exact = table.routes.get(request.routeKey);
  if (exact !== undefined || request.format === 'simple') return exact;
  return table.routes.get(`ANY ${request.routeKey.slice(request.routeKey.indexOf(' ') + 1)}`);
}
