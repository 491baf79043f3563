import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { withTimeout } from './deadline.js';
import { ReplayStoreUnavailableError } from './errors.js';
import type { ReplayStore } from './replay-store.js';

/**
 * The shared replay store: one DynamoDB item per claimed proof key (partition key `pk`, a
 * string), written with a conditional PutItem that succeeds only if no unexpired item has that
 * key, so of two instances claiming the same proof at once exactly one wins (DynamoDB's
 * conditional writes are atomic per item). `expiresAt` (seconds) is the table's TTL attribute;
 * TTL deletion runs late (within days), so the condition, not the deletion, decides expiry.
 * The SDK loads on the first claim, not at cold start. Every claim ends within `timeoutMs`
 * (connection, each attempt, retries); not knowing is an error (500), never an allow.
 */
export class DynamoDbReplayStore implements ReplayStore {
  constructor(
    private readonly table: string,
    private readonly timeoutMs: number,
    private client?: DynamoDBClient,
  ) {}

  async claim(key: string, expiresAt: number, nowSeconds = Date.now() / 1000): Promise<boolean> {
    const { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    const timeoutMs = this.timeoutMs;
    this.client ??= new DynamoDBClient({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs, throwOnRequestTimeout: true },
    });
    const abort = new AbortController();
    const put = new PutItemCommand({
      TableName: this.table,
      Item: { pk: { S: key }, expiresAt: { N: String(Math.ceil(expiresAt)) } },
      ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
      ExpressionAttributeValues: { ':now': { N: String(Math.floor(nowSeconds)) } },
    });
    try {
      await withTimeout(this.client.send(put, { abortSignal: abort.signal }), timeoutMs, () => {
        const error = new ReplayStoreUnavailableError(`DynamoDB table ${this.table} did not answer within ${timeoutMs} ms`);
        abort.abort(error);
        return error;
      });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      if (error instanceof ReplayStoreUnavailableError) throw error;
      const name = (error as Error).name;
      throw new ReplayStoreUnavailableError(`could not record a DPoP proof in DynamoDB table ${this.table}: ${name}`, { cause: error });
    }
  }
}
