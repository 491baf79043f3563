import { randomUUID } from 'node:crypto';
import { AwsJsonClient, AwsRequestError, type Environment } from '../aws/aws-json-client.js';
import { DYNAMODB } from '../aws/dynamodb.js';
import { withTimeout } from '../deadline.js';
import {
  KEY_PREFIX,
  REVOCATION_MARK_SECONDS,
  SET_ITEM_CLAIM_ID,
  TABLE_KEY,
  TABLE_TTL_ATTRIBUTE,
  TOKEN_ITEM,
} from '../shared-cache/table-format.js';
import { RevocationUnavailableError } from './errors.js';

/**
 * How long past its `iat` a received SET's `set#` item is kept, seconds: the SET is refused on its
 * `iat` alone (SET_IAT_WINDOW_SECONDS) before the item may go, with a minute's margin.
 */
export const SET_ITEM_EXTRA_SECONDS = 60;

/**
 * The receiver's two writes to the shared cache's table (lambda/shared-cache/table-format.ts), each
 * one PutItem signed by hand (`AwsJsonClient`; region, credentials and `AWS_ENDPOINT_URL_DYNAMODB`
 * from `env`), each within `timeoutMs`. Any failure but a lost condition is `RevocationUnavailableError`
 * (503): the transmitter delivers again.
 */
export class RevocationTable {
  private readonly client: AwsJsonClient;

  /** Throws `AwsRequestError` (`InvalidConfiguration`) on a region or endpoint it cannot use: at cold start. */
  constructor(
    readonly table: string,
    private readonly timeoutMs: number,
    env: Environment,
  ) {
    this.client = new AwsJsonClient(DYNAMODB, env);
  }

  /**
   * The revocation mark `token#<hash>`: `state` `revoked` for {@link REVOCATION_MARK_SECONDS}, written
   * whatever the item held (an instance's cached `active` answer is what it replaces). Idempotent:
   * writing it again only moves its expiry later.
   */
  async markRevoked(tokenHash: string, nowMs: number): Promise<void> {
    const expiresAtMs = Math.ceil(nowMs) + REVOCATION_MARK_SECONDS * 1000;
    await this.put('mark a token revoked', {
      TableName: this.table,
      Item: {
        [TABLE_KEY]: { S: `${KEY_PREFIX.token}${tokenHash}` },
        [TOKEN_ITEM.state]: { S: 'revoked' },
        [TABLE_TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAtMs / 1000)) },
        [TOKEN_ITEM.expiresAtMs]: { N: String(expiresAtMs) },
      },
    });
  }

  /**
   * Records a SET as received: `set#<hash>` written only if absent, so of two deliveries of one SET
   * exactly one is the first (false: received before). Each call writes its own random `claimId`
   * and also succeeds over an item holding it: a PutItem retried after its answer was lost finds its
   * own write and is still the first (as the DPoP replay store does).
   */
  async claimSecurityEvent(setHash: string, iat: number, iatWindowSeconds: number): Promise<boolean> {
    const claimId = randomUUID();
    try {
      await this.put('record a SET', {
        TableName: this.table,
        Item: {
          [TABLE_KEY]: { S: `${KEY_PREFIX.securityEvent}${setHash}` },
          [TABLE_TTL_ATTRIBUTE]: { N: String(Math.ceil(iat) + iatWindowSeconds + SET_ITEM_EXTRA_SECONDS) },
          [SET_ITEM_CLAIM_ID]: { S: claimId },
        },
        ConditionExpression: `attribute_not_exists(${TABLE_KEY}) OR ${SET_ITEM_CLAIM_ID} = :claim`,
        ExpressionAttributeValues: { ':claim': { S: claimId } },
      });
      return true;
    } catch (error) {
      if (
        error instanceof RevocationUnavailableError &&
        error.cause instanceof AwsRequestError &&
        error.cause.name === 'ConditionalCheckFailedException'
      ) {
        return false;
      }
      throw error;
    }
  }

  private async put(what: string, input: object): Promise<void> {
    const { timeoutMs, table } = this;
    try {
      await withTimeout(
        this.client.call('PutItem', input, timeoutMs),
        timeoutMs,
        () => new RevocationUnavailableError(`DynamoDB table ${table} did not answer within ${timeoutMs} ms`),
      );
    } catch (error) {
      if (error instanceof RevocationUnavailableError) throw error;
      const { name, message } = error as Error;
      // AWS's error type says it all; a client that could not even ask says why.
      const detail = name === 'CredentialsMissing' ? ` (${message})` : '';
      throw new RevocationUnavailableError(`could not ${what} in DynamoDB table ${table}: ${name}${detail}`, undefined, { cause: error });
    }
  }
}
