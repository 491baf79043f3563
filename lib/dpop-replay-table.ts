import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV } from '../lambda/environment.js';

/**
 * The shared DPoP replay store: a DynamoDB table every function instance records proof ids in
 * with a conditional write, so a proof replayed to another instance is seen too. Partition key
 * `pk` (string), TTL attribute `expiresAt`, on demand; its items live one proof window, so it is
 * destroyed with the stack. The function may `PutItem` in it and nothing else. Point-in-time
 * recovery only when asked (`pointInTimeRecovery`).
 */
export function createDpopReplayTable(scope: Construct, fn: LambdaFunction, role: IRole, pointInTimeRecovery = false): Table {
  const table = new Table(scope, 'DpopReplayTable', {
    partitionKey: { name: 'pk', type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiresAt',
    encryption: TableEncryption.AWS_MANAGED,
    removalPolicy: RemovalPolicy.DESTROY,
    ...(pointInTimeRecovery ? { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } } : {}),
  });
  if (!pointInTimeRecovery) {
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'Each item lives one DPoP proof window (seconds); a point-in-time restore would bring back expired proof ids and nothing of value.',
    });
  }
  table.grant(role, 'dynamodb:PutItem');
  fn.addEnvironment(ENV.dpopReplayTable, table.tableName);
  return table;
}
