/**
 * The path routing uses: one trailing slash dropped (`/echo/` → `/echo`), as both API types are
 * reported to route `/hello/` to the `/hello` resource or route
 * (https://github.com/aws-powertools/powertools-lambda-python/issues/1552,
 * https://github.com/aws/chalice/issues/65), while the event keeps the path as sent
 * (https://github.com/floci-io/floci/issues/1557).
 */
export function routingPath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
