/**
 * How the local gateway reads an authorizer's IAM policy answer (payload 1.0 always; payload 2.0
 * without simple responses): `{ principalId, policyDocument: { Statement: [...] }, context }`
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html).
 * A statement applies when its Action covers `execute-api:Invoke` and one of its Resources matches
 * the request's ARN (`*` and `?` wildcards). An explicit Deny wins; without an Allow, access is
 * denied (IAM's default). Returns undefined when the answer is not a policy at all.
 *
 * Wildcards have two readings, since nobody can check here which one API Gateway applies to an
 * authorizer's policy; the gateways take one (`wildcardReading`, `IAM_WILDCARD_READING` for
 * `npm start`) and the exhaustive tests run under both:
 *
 * - `'crosses-colons'` (the default, and this module's behaviour before there was a choice): `*`
 *   matches any run of characters, colons included, and `?` any one character.
 * - `'segments'`: IAM's documented reading for resource ARNs ("IAM JSON policy elements: Resource",
 *   "Using wildcards in resource ARNs": wildcards work "within the individual segments of an ARN
 *   (the parts separated by colons)", and only a `*` that is "the last character of a resource ARN
 *   segment ... can expand to match beyond the colon boundaries"). Precisely: a `*` immediately
 *   followed by `:` in the pattern, or that is the pattern's last character, matches any run of
 *   characters (it may cross colons); every other `*` matches a run of characters other than `:`;
 *   `?` matches one character other than `:`; everything else is literal. So the pattern
 *   `arn:...:api/prod/GET/users/*` + `/profile` (a `*` inside the segment) does not match
 *   `arn:...:api/prod/GET/users/a:b/profile`, while `arn:...:api/prod/*` does.
 *
 * Everything `'segments'` matches, `'crosses-colons'` matches too. The Action (`execute-api:Invoke`,
 * its one colon) is matched under the same reading as the Resource: `*`, `execute-api:*` and
 * `*:Invoke` cover it under both.
 */
export type WildcardReading = 'crosses-colons' | 'segments';

/** Both readings, the default first. */
export const WILDCARD_READINGS: readonly WildcardReading[] = ['crosses-colons', 'segments'];

export function isWildcardReading(value: unknown): value is WildcardReading {
  return (WILDCARD_READINGS as readonly unknown[]).includes(value);
}

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

export function policyAllows(
  statements: readonly PolicyStatement[],
  resourceArn: string,
  reading: WildcardReading = 'crosses-colons',
): boolean {
  return policyDecision(statements, resourceArn, reading) === 'allow';
}

/**
 * The decision, telling an explicit Deny from no matching Allow (REST API Gateway words its 403
 * differently for the two: "User is not authorized to access this resource with an explicit deny").
 */
export function policyDecision(
  statements: readonly PolicyStatement[],
  resourceArn: string,
  reading: WildcardReading = 'crosses-colons',
): 'allow' | 'explicit-deny' | 'implicit-deny' {
  if (!isWildcardReading(reading)) {
    throw new TypeError(`wildcard reading must be one of ${WILDCARD_READINGS.join(', ')}; received ${JSON.stringify(reading)}`);
  }
  const applies = (statement: PolicyStatement) =>
    statement.actions.some((action) => wildcard(action.toLowerCase(), 'execute-api:invoke', reading)) &&
    statement.resources.some((resource) => wildcard(resource, resourceArn, reading));
  const matching = statements.filter(applies);
  if (matching.some((s) => s.effect === 'Deny')) return 'explicit-deny';
  return matching.some((s) => s.effect === 'Allow') ? 'allow' : 'implicit-deny';
}

function strings(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  return undefined;
}

/** Compiled patterns per reading; a policy's few patterns recur on every request, so this stays small. */
const COMPILED: Readonly<Record<WildcardReading, Map<string, RegExp>>> = { 'crosses-colons': new Map(), segments: new Map() };
/** Bounds the cache against authorizers that answer with per-request patterns: when full, start over. */
const COMPILED_LIMIT = 10_000;

function wildcard(pattern: string, value: string, reading: WildcardReading): boolean {
  const cache = COMPILED[reading];
  let regex = cache.get(pattern);
  if (regex === undefined) {
    if (cache.size >= COMPILED_LIMIT) cache.clear();
    regex = compile(pattern, reading);
    cache.set(pattern, regex);
  }
  return regex.test(value);
}

function compile(pattern: string, reading: WildcardReading): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === '*') {
      const crosses = reading === 'crosses-colons' || i === pattern.length - 1 || pattern[i + 1] === ':';
      source += crosses ? '.*' : '[^:]*';
    } else if (char === '?') {
      source += reading === 'crosses-colons' ? '.' : '[^:]';
    } else {
      source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  // `s`: `.` matches line terminators too, so `*` is truly any run of characters.
  return new RegExp(`^${source}$`, 's');
}
