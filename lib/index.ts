/**
 * cdk-phantom-token: the phantom token pattern for API Gateway.
 * The public surface of the construct library; everything not exported here is internal.
 *
 * The map: `phantom-token-authorizer.ts` is the construct (the facade users create);
 * `props.ts` its props and `validate-props.ts` their synth-time checks; `authorizer-function.ts`
 * the function, its role, log group, secret and bundling; `introspection-response-type.ts` the enum
 * of `introspectionResponseType`; `http-route-authorizer.ts` and
 * `rest-authorizer.ts` the wiring into each kind of API (`http-routes.ts`: `addHttpRoutes`), keyed by
 * the API's identity (`api-identity.ts`: one authorizer per API however often it is imported,
 * names and the quota), reaching the function as `authorizer-invocation.ts` says;
 * `dpop-algorithm.ts` the enum of `dpopAlgorithms`; `vpc-access.ts` the scoped VPC statements;
 * `jwt-forwarding.ts` the JWT's delivery to integrations; `route-scope-registry.ts` the per-route
 * scopes, `route-table-plan.ts` the route table planned from them and the APIs' routes (groups,
 * globs, the proof), `route-table-layer.ts` the table shipped with the function;
 * `decision-metrics.ts` the metrics of the function's decision lines, which `alarms.ts` and
 * `dashboard.ts` watch; `access-log-format.ts` the stages' access-log formats;
 * `shared-cache.ts` the shared introspection cache's table and grants (`sharedCache`),
 * `revocation-receiver.ts` the revocation receiver (`revocation`), both bundled as
 * `bundled-function.ts` says.
 */

export { PhantomTokenAccessLogFormat } from './access-log-format.js';
export type { PhantomTokenAlarmThresholds } from './alarms.js';
// Compiled by jsii for Python, Java, .NET and Go too: only jsii-compatible types here (classes,
// enums, readonly-data interfaces). The environment contract (ENV, DEFAULTS, CONTEXT_KEYS …) is
// plain TypeScript data and is exported by the `cdk-phantom-token/backend` entry instead.
export { CachedAnswerSharing } from './cached-answer-sharing.js';
export { DpopAlgorithm } from './dpop-algorithm.js';
export type { PhantomTokenHttpRouteOptions } from './http-routes.js';
export { IntrospectionResponseType } from './introspection-response-type.js';
export { PhantomTokenAuthorizer } from './phantom-token-authorizer.js';
export type { PhantomTokenAuthorizerProps } from './props.js';
export type { PhantomTokenRestMethodOptions } from './rest-authorizer.js';
export type { RevocationOptions } from './revocation-receiver.js';
export type { SharedCacheOptions } from './shared-cache.js';
