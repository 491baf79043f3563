import { Reference, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { CfnAuthorizer as CfnRestAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { CfnAuthorizer as CfnHttpAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IConstruct } from 'constructs';

/**
 * An API as API Gateway knows it: its id (a token until deploy, or a literal) in an account and a
 * region. `RestApi.fromRestApiAttributes` in each nested stack, or `HttpApi.fromHttpApiAttributes`
 * in each service stack, gives one API several construct objects; they all pass the same id, so
 * they share one key, and the construct wires each API once whatever the number of its objects.
 */
export function apiKey(api: IConstruct, apiId: string): string {
  const stack = Stack.of(api);
  return JSON.stringify([stack.account, stack.region, apiId]);
}

/**
 * Whether an API id read off a resource (`candidate`, in the resource's stack) names the API of
 * `apiId`: the same string (an API and its imports pass the same token or literal), or the same
 * value once resolved when that value names no resource (`Ref`, `Fn::GetAtt` resolve alike in
 * another stack to a different resource of the same logical id), such as two `Fn.importValue`s of
 * one export.
 */
export function sameApiId(stack: Stack, candidate: string, apiId: string): boolean {
  if (candidate === apiId) return true;
  if (!Token.isUnresolved(candidate) && !Token.isUnresolved(apiId)) return false;
  const [a, b] = [JSON.stringify(stack.resolve(candidate)), JSON.stringify(stack.resolve(apiId))];
  return a === b && !/"(Ref|Fn::GetAtt)"/.test(a);
}

/** API Gateway's default quota of authorizers per API (REST and HTTP APIs; it can be raised per API). */
export const AUTHORIZERS_PER_API_QUOTA = 10;

/** An authorizer resource of the app on one API, whoever created it. */
interface FoundAuthorizer {
  readonly path: string;
  readonly name: unknown;
}

/**
 * The API id of an authorizer resource. aws-cdk-lib's REST authorizers (`RequestAuthorizer`,
 * `TokenAuthorizer`, `CognitoUserPoolsAuthorizer`) write a lazy value there, read from the API the
 * authorizer was attached to, which their `restApiId` field holds as the API gave it.
 */
function apiIdOf(kind: 'rest' | 'http', node: IConstruct): string | undefined {
  if (kind === 'http') return node instanceof CfnHttpAuthorizer ? node.apiId : undefined;
  if (!(node instanceof CfnRestAuthorizer)) return undefined;
  const attached = (node.node.scope as { restApiId?: unknown } | undefined)?.restApiId;
  return typeof attached === 'string' ? attached : node.restApiId;
}

/**
 * Every authorizer resource of the app on the API (`kind` `rest`: `AWS::ApiGateway::Authorizer`;
 * `http`: `AWS::ApiGatewayV2::Authorizer`): its API id names the API (`sameApiId`) and its
 * stack has the API's account and region.
 */
function authorizersOn(kind: 'rest' | 'http', api: IConstruct, apiId: string): FoundAuthorizer[] {
  const home = Stack.of(api);
  const found: FoundAuthorizer[] = [];
  for (const node of api.node.root.node.findAll()) {
    const id = apiIdOf(kind, node);
    if (id === undefined) continue;
    const stack = Stack.of(node);
    if (stack.account !== home.account || stack.region !== home.region || !sameApiId(stack, id, apiId)) continue;
    const name = (node as CfnRestAuthorizer | CfnHttpAuthorizer).name;
    found.push({
      path: (node.node.scope ?? node).node.path,
      name: typeof name === 'string' && Token.isUnresolved(name) ? stack.resolve(name) : name,
    });
  }
  return found;
}

/**
 * Synth errors for one API: more authorizers than API Gateway's quota allows (the construct's
 * groups, its per-route authorizer, other constructs' and your own, counted over the whole app), or
 * two authorizers of one name (API Gateway: "Authorizer name must be unique").
 */
export function authorizerErrors(
  kind: 'rest' | 'http',
  aliases: readonly IConstruct[],
  apiId: string,
  owner: IConstruct,
  ownNames: readonly string[],
  quota: number,
): string[] {
  const first = aliases[0];
  if (first === undefined) return [];
  const found = authorizersOn(kind, first, apiId);
  const errors: string[] = [];
  if (found.length > quota) {
    const others = found.length - ownNames.length;
    errors.push(
      `${first.node.path} would have ${found.length} authorizers, over API Gateway's quota of ${quota} per API: ` +
        `${ownNames.length} of PhantomTokenAuthorizer ${owner.node.path} (${ownNames.join(', ')})` +
        `${
          others > 0
            ? ` and ${others} more (${found
                .filter((a) => !ownNames.includes(String(a.name)))
                .map((a) => a.path)
                .join(', ')})`
            : ''
        }. ` +
        'Its routes need fewer groups (routes of one scope set share an authorizer), or wire fewer authorizers to this API; ' +
        'with a raised quota, set authorizersPerApiQuota.',
    );
  }
  const byName = new Map<string, string[]>();
  for (const authorizer of found) {
    if (typeof authorizer.name !== 'string') continue;
    byName.set(authorizer.name, [...(byName.get(authorizer.name) ?? []), authorizer.path]);
  }
  for (const name of ownNames) {
    const holders = byName.get(name) ?? [];
    if (holders.length > 1) {
      errors.push(
        `authorizer name "${name}" is used ${holders.length} times on ${first.node.path} (${holders.join(', ')}), ` +
          'and API Gateway requires unique authorizer names per API: set authorizerName on PhantomTokenAuthorizer ' +
          `${owner.node.path} (or on the other construct) to a name of its own`,
      );
    }
  }
  return errors;
}

/**
 * The stacks other than `home` whose resources the strings reference (`apiAudiences` keys such as
 * `httpApi.apiId` of an API stack): `home` will depend on them, so their APIs' authorizers must not
 * reference anything of `home` (see `AuthorizerInvocation`).
 */
export function stacksReferencedBy(values: readonly string[], home: Stack): Set<Stack> {
  const stacks = new Set<Stack>();
  for (const value of values) {
    if (!Token.isUnresolved(value)) continue;
    for (const token of Tokenization.reverseString(value).tokens) {
      if (Reference.isReference(token) && Stack.of(token.target) !== home) stacks.add(Stack.of(token.target));
    }
  }
  return stacks;
}
