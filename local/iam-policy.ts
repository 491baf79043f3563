/**
 * How the local gateway reads an authorizer's IAM policy answer (payload 1.0 always; payload 2.0
 * without simple responses): `{ principalId, policyDocument: { Statement: [...] }, context }`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 * A statement applies when its Action covers `execute-api:Invoke` and one of its Resources matches
 * the request's ARN (`*` and `?` wildcards). An explicit Deny wins; without an Allow, access is
 * denied (IAM's default). Returns undefined when the answer is not a policy at all.
 */
export interface PolicyStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

export function readPolicy(answer: unknown): readonly PolicyStatement[] | undefined {
  if (answer === null || typeof answer !== 'object') return undefined;
  const document = (answer as { policyDocument?: unknown }).policyDocument;
  if (document === null || typeof document !== 'object') return undefined;
  const raw = (document as { Statement?: unknown }).Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const read: PolicyStatement[] = [];
  for (const statement of statements) {
    if (statement === null || typeof statement !== 'object') return undefined;
    const { Effect, Action, Resource } = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    if (Effect !== 'Allow' && Effect !== 'Deny') return undefined;
    const actions = strings(Action);
    const resources = strings(Resource);
    if (actions === undefined || resources === undefined) return undefined;
    read.push({ effect: Effect, actions, resources });
  }
  return read;
}

export function policyAllows(statements: readonly PolicyStatement[], resourceArn: string): boolean {
  return policyDecision(statements, resourceArn) === 'allow';
}

/**
 * The decision, telling an explicit Deny from no matching Allow (REST API Gateway words its 403
 * differently for the two: "User is not authorized to access this resource with an explicit deny").
 */
export function policyDecision(statements: readonly PolicyStatement[], resourceArn: string): 'allow' | 'explicit-deny' | 'implicit-deny' {
  const applies = (statement: PolicyStatement) =>
    statement.actions.some((action) => wildcard(action.toLowerCase(), 'execute-api:invoke')) &&
    statement.resources.some((resource) => wildcard(resource, resourceArn));
  const matching = statements.filter(applies);
  if (matching.some((s) => s.effect === 'Deny')) return 'explicit-deny';
  return matching.some((s) => s.effect === 'Allow') ? 'allow' : 'implicit-deny';
}

function strings(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return undefined;
}

function wildcard(pattern: string, value: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}
