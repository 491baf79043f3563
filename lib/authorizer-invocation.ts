import { ArnFormat, Names, Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * How an API's authorizers reach the function, and where API Gateway's permission to invoke it
 * lives.
 *
 * Usually by the function's ARN, the permission beside the authorizer in the API's scope: an API
 * stack depends on the function's stack, never the reverse. An API whose id the function's own
 * configuration holds (`apiAudiences` keyed by `httpApi.apiId` of another stack) makes the function's
 * stack depend on the API's stack; its authorizers then must not reference the function's stack,
 * or the two stacks would depend on each other. Those reach the function by its name (a name the
 * construct gives it, the same at every synthesis), built into an ARN from their own stack's
 * partition, region and account (the same as the function's: the construct refuses APIs of
 * another environment), and their invoke permissions live in the function's stack, which may
 * reference the API.
 */
export class AuthorizerInvocation {
  constructor(
    readonly handler: IFunction,
    /** Stacks whose authorizers must not reference the function's stack. */
    private readonly detachedStacks: ReadonlySet<Stack>,
    /** The function's name, given to it when `detachedStacks` is not empty. */
    private readonly functionName: string | undefined,
  ) {}

  /** Whether authorizers in `scope` reach the function by name, their permissions in the function's stack. */
  isDetached(scope: IConstruct): boolean {
    return this.functionName !== undefined && this.detachedStacks.has(Stack.of(scope));
  }

  /** The function's ARN as authorizers in `scope` reference it. */
  functionArn(scope: IConstruct): string {
    if (this.functionName === undefined || !this.isDetached(scope)) return this.handler.functionArn;
    return Stack.of(scope).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: this.functionName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * API Gateway's permission to invoke the function for one authorizer (`sourceArn`), created in
   * `scope` (the API's side) or, for a detached API, under the function.
   */
  grantInvoke(scope: IConstruct, id: string, sourceArn: string): void {
    const principal = new ServicePrincipal('apigateway.amazonaws.com');
    if (this.isDetached(scope)) this.handler.addPermission(`${id}${Names.uniqueId(scope)}`, { principal, sourceArn });
    else this.handler.addPermission(id, { scope, principal, sourceArn });
  }
}
