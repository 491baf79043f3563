import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';

/**
 * What a function in a VPC needs of EC2, scoped as far as EC2 allows, instead of the managed
 * `AWSLambdaVPCAccessExecutionRole` (every action on `*`, and CloudWatch Logs on `*`, which the
 * role already has on its own log group). Lambda creates, describes and deletes the function's
 * network interfaces with the function's role (Lambda developer guide, "Giving Lambda functions
 * access to resources in an Amazon VPC", execution role permissions):
 * - `ec2:CreateNetworkInterface` on network interfaces of this account and region, in the
 *   function's own subnets, with its own security groups;
 * - `ec2:DeleteNetworkInterface`, `ec2:AssignPrivateIpAddresses`, `ec2:UnassignPrivateIpAddresses`
 *   on network interfaces of this account and region (the interfaces' ids are Lambda's, unknown
 *   here);
 * - `ec2:DescribeNetworkInterfaces`, `ec2:DescribeSubnets` on `*`: EC2's Describe actions support
 *   no resource-level permissions.
 *
 * The statements are a policy of their own, which the function depends on: Lambda checks them
 * when the function is created. Their two wildcards are acknowledged to cdk-nag (AwsSolutions-IAM5),
 * with their reasons, on this policy only.
 */
export function grantVpcAccess(scope: Construct, role: IRole, fn: LambdaFunction): Policy {
  const stack = Stack.of(scope);
  const cfn = fn.node.defaultChild as CfnFunction;
  const ec2Arn = (resource: string, resourceName: string) =>
    stack.formatArn({ service: 'ec2', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  const networkInterfaces = ec2Arn('network-interface', '*');
  const config = cfn.vpcConfig as { subnetIds?: string[]; securityGroupIds?: string[] } | undefined;
  const subnets = (config?.subnetIds ?? []).map((id) => ec2Arn('subnet', id));
  const securityGroups = (config?.securityGroupIds ?? []).map((id) => ec2Arn('security-group', id));
  if (subnets.length === 0 || securityGroups.length === 0) {
    throw new Error(`the authorizer function ${fn.node.path} has no subnets or security groups to scope its VPC permissions to`);
  }
  const policy = new Policy(scope, 'VpcAccess', {
    roles: [role],
    statements: [
      new PolicyStatement({
        sid: 'CreateNetworkInterfacesInTheFunctionsSubnets',
        actions: ['ec2:CreateNetworkInterface'],
        resources: [networkInterfaces, ...subnets, ...securityGroups],
      }),
      new PolicyStatement({
        sid: 'ManageNetworkInterfaces',
        actions: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: [networkInterfaces],
      }),
      new PolicyStatement({
        sid: 'DescribeNetworkInterfacesAndSubnets',
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
        resources: ['*'],
      }),
    ],
  });
  cfn.node.addDependency(policy);
  Validations.of(policy).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets, which Lambda needs for a function in a VPC, support no resource-level permissions.',
  });
  Validations.of(policy).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${nagFlatten(stack.resolve(networkInterfaces))}]`,
    reason:
      "Network interfaces of this account and region: Lambda creates and deletes the function's interfaces, whose ids are not known before; creating one is also limited to the function's subnets and security groups.",
  });
  return policy;
}

/** A resolved value as cdk-nag writes it in a finding's id: `Fn::Join` joined, `Ref` as `<Name>`, `Fn::GetAtt` as `<Name.Attr>`. */
function nagFlatten(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (value !== null && typeof value === 'object') {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(nagFlatten).join(delimiter);
    }
    if ('Fn::Sub' in node) return nagFlatten(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagFlatten(resource)}.${nagFlatten(attribute)}>`;
    }
    if ('Fn::ImportValue' in node) return nagFlatten(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${nagFlatten(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
