import { hash } from 'node:crypto';
import { type AuthorizerRequest, readAuthorizerEvent } from './authorizer-event.js';
import { type AuthorizerContext, type AuthorizerResponse, denyInvalidToken, simpleAnswer } from './authorizer-response.js';
import type { SecretReader } from './aws/secrets-manager.js';
import { parseAuthorizationHeader } from './bearer-token.js';
import { ClientCredentialsProvider } from './client-credentials.js';
import { type AuthorizerConfig, loadConfig } from './config.js';
import { CONTEXT_KEYS } from './environment.js';
import { errorCode } from './errors.js';
import { type ActiveToken, IntrospectionClient } from './introspection-client.js';
import { type DecisionLogLine, decisionLog, roundMs, writeStartupFailureLog } from './observability/decision-log.js';
import { metricsSettings } from './observability/emf.js';
import type { DenyReason } from './observability/metrics-contract.js';
import { denyStage, requestArn, scopesAnswer, tableAnswer } from './routes/policy-answer.js';
import { HTTP_METHODS } from './routes/route-patterns.js';
import { missingScopes, requiredScopes } from './routes/route-scopes.js';
import { findRoute, type TableRoute } from './routes/route-table.js';
import { createReplayStore } from './sender-constraints/replay-store.js';
import { type PresentedToken, SenderConstraints } from './sender-constraints/sender-constraint.js';
import { IntrospectionTable } from './shared-cache/introspection-table.js';
import { SharedLookup } from './shared-cache/shared-lookup.js';
import { TokenCache } from './token-cache.js';

export type AuthorizerHandler = (event: unknown) => Promise<AuthorizerResponse>;

type Decision =
  | { readonly outcome: 'allow'; readonly token: ActiveToken }
  | { readonly outcome: 'deny'; readonly reason: DenyReason; readonly token?: ActiveToken };

/** The request's route: the table's entry (undefined with `ROUTE_SCOPES` only) and the scopes it requires. */
interface Route {
  readonly scopes: readonly string[];
  readonly entry?: TableRoute;
}

/**
 * Builds the handler from an environment. Configuration is validated here, once per cold start;
 * if it is invalid the failure is logged now and every invocation throws (API Gateway 500):
 * the authorizer never allows without a valid configuration.
 */
export function createAuthorizer(env: Readonly<Record<string, string | undefined>>, secretsManager?: SecretReader): AuthorizerHandler {
  // Every line is also a metrics record (CloudWatch EMF) of this namespace and service.
  const { writeDecisionLog, writeWarningLog } = decisionLog(metricsSettings(env));
  let config: AuthorizerConfig;
  try {
    config = loadConfig(env);
  } catch (error) {
    writeStartupFailureLog({ outcome: 'error', reason: errorCode(error), message: (error as Error).message });
    return async () => {
      writeDecisionLog({ outcome: 'error', reason: errorCode(error) });
      throw error;
    };
  }
  const cache = new TokenCache(config.cacheMaxEntries, {
    maxTtlSeconds: config.cacheMaxTtlSeconds,
    negativeTtlSeconds: config.negativeCacheTtlSeconds,
  });
  const credentials = new ClientCredentialsProvider(
    config.clientCredentialsSecret,
    config.secretRefreshSeconds,
    config.introspectionTimeoutMs,
    secretsManager,
    (error, { ageSeconds, retryInSeconds }) =>
      writeWarningLog({
        warning: error.code,
        message: `${error.message}; keeping the credentials read ${ageSeconds} s ago, next attempt in ${retryInSeconds} s`,
      }),
  );
  const introspection = new IntrospectionClient(config, credentials);
  // Start reading the client credentials now, during the cold start, so the first request does
  // not wait for Secrets Manager; a failure here is retried by that request and reported there.
  credentials.refresh().catch(() => {});
  const constraints = new SenderConstraints(config, createReplayStore(config));
  // With a shared cache, a memory miss reads the table before asking the OAuth server (lambda/shared-cache/).
  const shared =
    config.sharedCacheTable === undefined
      ? undefined
      : new SharedLookup(
          new IntrospectionTable(config.sharedCacheTable, config.sharedCacheTimeoutMs, env),
          cache,
          config.sharedCacheMemoryTtlSeconds * 1000,
        );

  /** Token → active token or not, from the cache or the OAuth server. Throws when it cannot find out. */
  async function lookUp(token: string, key: string, line: DecisionLogLine, started: number): Promise<ActiveToken | undefined> {
    line.tokenHash = key;
    const cached = cache.get(key);
    if (cached !== 'miss') {
      line.cache = cached === undefined ? 'negative' : 'hit';
      return cached;
    }
    line.cache = 'miss';
    const deadline = { at: started + config.decisionBudgetMs, budgetMs: config.decisionBudgetMs };
    const ask = async () => {
      const asked = performance.now();
      const result = await introspection.introspect(token, deadline);
      line.introspectionMs = roundMs(performance.now() - asked);
      return result;
    };
    if (shared !== undefined) return shared.lookUp(key, line, deadline, ask);
    const result = await ask();
    const active = result.active ? result.token : undefined;
    cache.set(key, active, result.maxAgeSeconds);
    return active;
  }

  /** The table's route of the request (undefined: not in the table), or, without a table, the scopes `ROUTE_SCOPES` gives it. */
  function routeOf(request: AuthorizerRequest): Route | undefined {
    if (config.routeTable === undefined) return { scopes: requiredScopes(config.routeScopes, request) };
    const entry = findRoute(config.routeTable, request);
    return entry && { scopes: entry.scopes, entry };
  }

  async function decide(
    request: AuthorizerRequest,
    route: Route,
    presented: PresentedToken,
    token: ActiveToken | undefined,
    started: number,
  ): Promise<Decision> {
    if (token === undefined || (token.exp !== undefined && token.exp * 1000 <= Date.now())) return { outcome: 'deny', reason: 'inactive' };
    // Audience and binding (DPoP proof, client certificate): per request, cached token or not.
    const unusable = await constraints.check(request, presented, token, {
      at: started + config.decisionBudgetMs,
      budgetMs: config.decisionBudgetMs,
    });
    if (unusable !== undefined) return { outcome: 'deny', reason: unusable };
    if (missingScopes(route.scopes, token.scopes).length > 0) return { outcome: 'deny', reason: 'insufficient_scope', token };
    // No answer names a method outside the seven, so the token's answer is still the one to cache.
    const method = request.presentation?.method;
    if (!(HTTP_METHODS as readonly (string | undefined)[]).includes(method)) return { outcome: 'deny', reason: 'unknown_method', token };
    return { outcome: 'allow', token };
  }

  return async function handler(event: unknown): Promise<AuthorizerResponse> {
    const started = performance.now();
    const line: DecisionLogLine = { outcome: 'error', reason: 'ERR_INTERNAL' };
    let request: AuthorizerRequest;
    let route: Route | undefined;
    let decision: Decision;
    try {
      request = readAuthorizerEvent(event);
      line.routeKey = request.routeKey;
      route = routeOf(request);
      const bearer = parseAuthorizationHeader(request.authorization);
      if (!bearer.ok) decision = { outcome: 'deny', reason: bearer.reason };
      else if (route === undefined) decision = { outcome: 'deny', reason: 'unknown_route' };
      else {
        const presented = { scheme: bearer.scheme, hash: hash('sha256', bearer.token, 'base64url') };
        decision = await decide(request, route, presented, await lookUp(bearer.token, presented.hash, line, started), started);
      }
    } catch (error) {
      writeDecisionLog({
        ...line,
        reason: errorCode(error),
        message: (error as Error).message,
        totalMs: roundMs(performance.now() - started),
      });
      throw error;
    }
    line.outcome = decision.outcome;
    line.reason = decision.outcome === 'allow' ? 'ok' : decision.reason;
    line.totalMs = roundMs(performance.now() - started);
    writeDecisionLog(line);
    return respond(event, request, route, decision);
  };

  /**
   * The answer: with a route table an IAM policy API Gateway may cache for the token across the
   * route's group (lambda/routes/policy-answer.ts); without one, a policy for REST and payload 1.0
   * and a simple response for payload 2.0, as the API's own identity sources cache them.
   */
  function respond(event: unknown, request: AuthorizerRequest, route: Route | undefined, decision: Decision): AuthorizerResponse {
    const { token } = decision;
    if (decision.outcome === 'deny' && decision.reason === 'unknown_route') return denyStage(requestArn(event, request.methodArn));
    if (token === undefined || route === undefined) {
      // Not a usable token: invalid on every route (REST answers 401).
      if (request.format === 'policy' || config.routeTable === undefined) return denyInvalidToken(request);
      return denyStage(requestArn(event, request.methodArn));
    }
    const input = {
      arn: request.format === 'policy' || config.routeTable !== undefined ? requestArn(event, request.methodArn) : '',
      // Its scopes allow the route; a method outside the seven is denied by the answer itself.
      allowed: decision.outcome === 'allow' || decision.reason === 'unknown_method',
      principalId: principal(token),
      granted: token.scopes,
      context: context(request, token),
    };
    if (config.routeTable !== undefined && route.entry !== undefined) return tableAnswer(config.routeTable, route.entry, input);
    if (request.format === 'policy') return scopesAnswer(config.routeScopes, input);
    return simpleAnswer(decision.outcome === 'allow', input.context);
  }
}

function principal(token: ActiveToken): string {
  return token.sub ?? token.clientId ?? 'unknown';
}

/** The context contract: `jwt` always; `authorization` for REST mapping; `sub`, `client_id`, `scope` when known. */
function context(request: AuthorizerRequest, token: ActiveToken): AuthorizerContext {
  const values: Record<string, string> = { [CONTEXT_KEYS.jwt]: token.jwt };
  if (request.format === 'policy') values[CONTEXT_KEYS.authorization] = `Bearer ${token.jwt}`;
  if (token.sub !== undefined) values.sub = token.sub;
  if (token.clientId !== undefined) values.client_id = token.clientId;
  if (token.scope !== '') values.scope = token.scope;
  return values;
}
