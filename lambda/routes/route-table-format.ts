/**
 * The route table's file format, shared by the construct, which writes it at synth time
 * (lib/route-table-plan.ts), and the function, which reads it at cold start (route-table.ts).
 * Data only, like environment.ts: no imports, no side effects.
 */

/**
 * The route table: every route behind the function's authorizers, as the construct planned it at
 * synth time (lib/route-table-plan.ts), shipped as a JSON file beside the function
 * (`ROUTE_TABLE_FILE`) and read once at cold start. With a table, a request whose route is not in
 * it is denied, and every answer is an IAM policy that API Gateway may cache for the token and
 * reuse on every route of the same group ({@link TableRoute.group}).
 */
export interface TableRoute {
  readonly routeKey: string;
  /** The scopes a token must all hold to use the route. */
  readonly scopes: readonly string[];
  /**
   * The authorizer whose cached answers serve the route: a shared one (0, 1, …; identity source
   * the `Authorization` header, answers about the routes of that group only), or `route`: an
   * authorizer that caches per route, answered with an Allow or Deny of the whole stage.
   */
  readonly group: number | 'route';
  /** Resource globs (after `…/stage/`) an answer lists to allow the route. */
  readonly allow: readonly string[];
  /** Resource globs an answer lists to deny the route: the allow globs and every trailing-slash spelling. */
  readonly deny: readonly string[];
  /**
   * Routes of the same group whose allow globs also match requests of this route: an answer that
   * allows one of them and not this route denies this route's globs.
   */
  readonly reachedBy: readonly string[];
}

/** The version of the file's shape this function reads. */
export const ROUTE_TABLE_VERSION = 1;
