import { randomUUID } from 'node:crypto';
import { AwsJsonClient, AwsRequestError, type Environment } from '../aws/aws-json-client.js';
import { DYNAMODB } from '../aws/dynamodb.js';
import { withTimeout } from '../deadline.js';
import { ReplayStoreUnavailableError } from '../errors.js';
import type { ReplayStore } from './replay-store.js';

/** Where the store's PutItem goes (defined with DynamoDB's description in ../aws/dynamodb.ts). */
export { dynamoDbEndpoint } from '../aws/dynamodb.js';

/**
 * The shared replay store: one DynamoDB item per claimed proof key (partition key `pk`, a
 * string), written with a conditional PutItem that succeeds only if no unexpired item has that
 * key, so of two instances claiming the same proof at once exactly one wins (DynamoDB's
 * conditional writes are atomic per item). Each claim writes its own random `claimId` and also
 * succeeds over an item holding that id: a PutItem retried after its answer was lost (the write
 * done, the answer cut off or timed out) finds its own write, not another request's, and is still
 * the proof's first use. `expiresAt` (seconds) is the table's TTL attribute;
 * TTL deletion runs late (within days), so the condition, not the deletion, decides expiry.
 * `table` is the table's name or ARN (PutItem's `TableName` takes either). PutItem is signed by
 * hand (`AwsJsonClient`, no SDK in the bundle); region, credentials and endpoint
 * (`AWS_ENDPOINT_URL_DYNAMODB`) come from `env`, read at the first claim. Every claim ends within
 * `timeoutMs` (each attempt, backoff and retries); not knowing is an error (500), never an allow.
 */
export class DynamoDbReplayStore implements ReplayStore {
  private client: AwsJsonClient | undefined;

  constructor(
    private readonly table: string,
    private readonly timeoutMs: number,
    private readonly env: Environment = process.env,
  ) {}

  async claim(key: string, expiresAt: number, nowSeconds = Date.now() / 1000): Promise<boolean> {
    const timeoutMs = this.timeoutMs;
    // One id per claim, the same in each of its attempts (AwsJsonClient retries the same body).
    const claimId = randomUUID();
    const put = {
      TableName: this.table,
      Item: { pk: { S: key }, expiresAt: { N: String(Math.ceil(expiresAt)) }, claimId: { S: claimId } },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR claimId = :claim',
      ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowSeconds)) }, ':claim': { S: claimId } },
    };
    try {
      // Resolved at the first claim, so a configuration it cannot use fails that request (500) with its reason.
      this.client ??= new AwsJsonClient(DYNAMODB, this.env);
      await withTimeout(
        this.client.call('PutItem', put, timeoutMs),
        timeoutMs,
        () => new ReplayStoreUnavailableError(`DynamoDB table ${this.table} did not answer within ${timeoutMs} ms`),
      );
      return true;
    } catch (error) {
      if (error instanceof ReplayStoreUnavailableError) throw error;
      if (error instanceof AwsRequestError && error.name === 'ConditionalCheckFailedException') return false;
      const { name, message } = error as Error;
      // AWS's error type says it all; a client that could not even ask says why.
      const detail = name === 'InvalidConfiguration' || name === 'CredentialsMissing' ? ` (${message})` : '';
      throw new ReplayStoreUnavailableError(`could not record a DPoP proof in DynamoDB table ${this.table}: ${name}${detail}`, {
        cause: error,
      });
    }
  }
}
