import { Match, type Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { authorizerIn, template, unbundledStack } from './stacks.js';

/** An EC2 ARN of the test account and region, as the template joins it (the partition a Ref). */
const ec2Arn = (resourceAndName: string, ...id: unknown[]) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:eu-west-1:123456789012:${resourceAndName}`, ...id]],
});

/** The statements of the construct's VPC policy, by Sid. */
function vpcStatements(t: Template): Record<string, { Action: unknown; Resource: unknown }> {
  const policies = Object.values(t.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('VpcAccess') } }));
  expect(policies).toHaveLength(1);
  const statements = policies[0]?.Properties.PolicyDocument.Statement as { Sid: string; Action: unknown; Resource: unknown }[];
  return Object.fromEntries(statements.map(({ Sid, Action, Resource }) => [Sid, { Action, Resource }]));
}

describe('a function in a VPC', () => {
  it('gets scoped network-interface statements instead of the managed AWSLambdaVPCAccessExecutionRole', () => {
    const stack = unbundledStack();
    const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    authorizerIn(stack, { vpc });
    const t = template(stack);
    expect(JSON.stringify(t.toJSON())).not.toContain('AWSLambdaVPCAccessExecutionRole');
    expect(vpcStatements(t)).toEqual({
      CreateNetworkInterfacesInTheFunctionsSubnets: {
        Action: 'ec2:CreateNetworkInterface',
        // Network interfaces, the function's two subnets and its security group: nothing else.
        Resource: [
          ec2Arn('network-interface/*'),
          ec2Arn('subnet/', { Ref: expect.stringMatching(/^VpcIsolatedSubnet1/) }),
          ec2Arn('subnet/', { Ref: expect.stringMatching(/^VpcIsolatedSubnet2/) }),
          ec2Arn('security-group/', { 'Fn::GetAtt': [expect.stringMatching(/^PhantomTokenFunctionSecurityGroup/), 'GroupId'] }),
        ],
      },
      ManageNetworkInterfaces: {
        Action: ['ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Resource: ec2Arn('network-interface/*'),
      },
      // EC2's Describe actions support no resource-level permissions.
      DescribeNetworkInterfacesAndSubnets: { Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
    });
  });

  it('is created after its VPC statements, which Lambda checks when it creates the function', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { vpc: new Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 }) });
    const t = template(stack);
    const [policyId] = Object.keys(
      t.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('VpcAccess') } }),
    );
    t.hasResource('AWS::Lambda::Function', { DependsOn: Match.arrayWith([policyId]) });
  });

  it('scopes CreateNetworkInterface to the subnets and security groups it is given', () => {
    const stack = unbundledStack();
    const vpc = new Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'Public', subnetType: SubnetType.PUBLIC },
        { name: 'Private', subnetType: SubnetType.PRIVATE_ISOLATED },
        { name: 'Other', subnetType: SubnetType.PRIVATE_ISOLATED },
      ],
    });
    const group = new SecurityGroup(stack, 'Group', { vpc });
    authorizerIn(stack, { vpc, vpcSubnets: { subnetGroupName: 'Other' }, securityGroups: [group] });
    const create = JSON.stringify(vpcStatements(template(stack)).CreateNetworkInterfacesInTheFunctionsSubnets);
    expect(create.match(/VpcOtherSubnet\d/g)?.length).toBe(2);
    expect(create).not.toContain('VpcPrivateSubnet');
    expect(create).toMatch(/"Fn::GetAtt":\["Group[0-9A-F]{8}","GroupId"\]/);
  });
});

describe('pointInTimeRecovery', () => {
  it('turns on point-in-time recovery of the shared replay table', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { senderConstrainedTokens: true, sharedDpopReplayStore: true, pointInTimeRecovery: true });
    template(stack).hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('is off by default', () => {
    const stack = unbundledStack();
    authorizerIn(stack, { senderConstrainedTokens: true, sharedDpopReplayStore: true });
    template(stack).hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: Match.absent() });
  });

  it('is refused without the shared replay table, naming both props', () => {
    expect(() => authorizerIn(unbundledStack(), { pointInTimeRecovery: true })).toThrow(
      'pointInTimeRecovery applies to the shared DPoP replay table only: set sharedDpopReplayStore: true, or remove it',
    );
  });
});
