import { type PolicyStatement, policyDecision, readPolicy, type WildcardReading } from './iam-policy.js';

/**
 * A REST API's resource policy (`AWS::ApiGateway::RestApi` `Policy`), as far as the emulator
 * reproduces it: its explicit `Deny` statements on `execute-api:Invoke`, for any principal and
 * without conditions, evaluated against the request's method ARN before the authorizer runs — an
 * explicit deny wins over anything the authorizer would answer
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html).
 * `Allow` statements are not needed for a Lambda authorizer's request to proceed and are not
 * evaluated. A statement the emulator cannot evaluate (a `Condition`, a `NotResource`, a
 * `NotPrincipal`, a principal other than everyone) stops start-up, naming the API, rather than
 * being ignored.
 */
export interface RestResourcePolicy {
  readonly denies: readonly PolicyStatement[];
}

export class ResourcePolicyError extends Error {
  readonly code = 'LOCAL_REST_RESOURCE_POLICY';
  override readonly name = 'GatewayConfigurationError';
}

/** Reads the policy; `execute-api:/…` resources (the policy shorthand) become full ARNs of this API. */
export function readResourcePolicy(apiId: string, policy: unknown, arnPrefix: string): RestResourcePolicy | undefined {
  if (policy === undefined || policy === null) return undefined;
  let document: unknown = policy;
  if (typeof policy === 'string') {
    try {
      document = JSON.parse(policy);
    } catch {
      throw new ResourcePolicyError(`REST API ${apiId}: its Policy is not JSON`);
    }
  }
  const raw = (document as { Statement?: unknown }).Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Record<string, unknown>[];
  const denies: Record<string, unknown>[] = [];
  for (const [index, statement] of statements.entries()) {
    if (statement?.Effect !== 'Deny') continue;
    const everyone = statement.Principal === '*' || (statement.Principal as { AWS?: unknown } | undefined)?.AWS === '*';
    const unsupported = ['Condition', 'NotResource', 'NotPrincipal', 'NotAction'].filter((key) => key in statement);
    if (!everyone) unsupported.push('a Principal other than "*"');
    if (unsupported.length > 0)
      throw new ResourcePolicyError(
        `REST API ${apiId}: resource policy statement ${index} (Deny) uses ${unsupported.join(', ')}, which this emulator does not evaluate; it would deny requests on AWS that pass locally`,
      );
    const resources = (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map((resource) =>
      typeof resource === 'string' && resource.startsWith('execute-api:/')
        ? `${arnPrefix}/${resource.slice('execute-api:/'.length)}`
        : resource,
    );
    denies.push({ ...statement, Resource: resources });
  }
  const read = readPolicy({ policyDocument: { Statement: denies } });
  if (read === undefined)
    throw new ResourcePolicyError(`REST API ${apiId}: its resource policy has a Deny statement this emulator cannot read`);
  return { denies: read };
}

/** Whether the policy explicitly denies invoking `methodArn`. */
export function resourcePolicyDenies(policy: RestResourcePolicy | undefined, methodArn: string, reading?: WildcardReading): boolean {
  return policy !== undefined && policyDecision(policy.denies, methodArn, reading) === 'explicit-deny';
}
