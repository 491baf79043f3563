import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, type ITable, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { DEFAULTS, ENV } from '../lambda/environment.js';
import { KEY_PREFIX, TABLE_KEY, TABLE_TTL_ATTRIBUTE } from '../lambda/shared-cache/table-format.js';

/**
 * The memory bound's default with a revocation receiver: every invocation reads the table, so a
 * revocation is seen at once and the receiver answers after one flush.
 */
export const MEMORY_TTL_WITH_REVOCATION_SECONDS = 0;

/**
 * Options of the shared introspection cache (`PhantomTokenAuthorizerProps.sharedCache`): one
 * DynamoDB table every instance of the authorizer reads before asking the OAuth server and writes
 * what the server answered, so a token is introspected about once per cache lifetime across the
 * whole fleet instead of once per instance. Items are keyed by a hash of the token, never the
 * token. `{}` turns it on with a table the construct creates.
 *
 * @example
 * new PhantomTokenAuthorizer(this, 'PhantomToken', {
 *   introspectionEndpoint: 'https://login.example.com/oauth/v2/oauth-introspect',
 *   clientCredentialsSecretName: 'phantom-token/introspection-client',
 *   sharedCache: { memoryTtl: Duration.seconds(5), timeout: Duration.millis(150) },
 * });
 */
export interface SharedCacheOptions {
  /**
   * A table of your own instead of the one the construct creates (`Table.fromTableArn`,
   * `Table.fromTableAttributes` with its `encryptionKey` when it has a customer-managed key):
   * partition key `pk` (string), no sort key, TTL on `expiresAt`. In the stack's region (the
   * functions call DynamoDB in their own region), in any account: the functions are given its
   * ARN, and their roles may use it as they would a created table (another account's table also
   * needs a resource policy that lets the roles in). Not with `encryptionKey`,
   * `pointInTimeRecovery` or `removalPolicy`, which apply to a created table.
   * @default - a table is created: on demand, TTL on `expiresAt`, encrypted with the AWS-managed key
   */
  readonly table?: ITable;

  /**
   * A customer-managed KMS key for the table the construct creates; the functions may use it for
   * this table's items (`kms:Decrypt`, `kms:Encrypt`, `kms:GenerateDataKey`, `kms:DescribeKey`).
   * Not with `table` (pass its key in `Table.fromTableAttributes` instead).
   * @default - the AWS-managed key of DynamoDB (`alias/aws/dynamodb`)
   */
  readonly encryptionKey?: IKey;

  /**
   * Whether the created table has DynamoDB point-in-time recovery. Its items are answers that
   * live at most `cacheMaxTtl` and revocation marks that live about an hour, so a restore brings
   * back nothing an instance could not ask the OAuth server for again; turn it on where a policy
   * requires it of every table (cdk-nag AwsSolutions-DDB3, which the construct otherwise
   * acknowledges, with that reason). Not with `table`.
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;

  /**
   * With the shared cache, the longest an instance serves an answer from its own memory before
   * reading the table again, a whole number of seconds from 0 to 300: the bound within which a
   * revocation marked in the table reaches every instance. Shorter: revocations bite sooner, at
   * the cost of a table read per token and instance this often. With `revocation` it is 0 unless
   * set: every invocation reads the table (a few milliseconds; API Gateway's cache still spares
   * most requests the invocation), so a mark is seen at once, one flush of a REST stage suffices and
   * the receiver answers without waiting. Above 0, both bounds grow by it and the receiver flushes
   * again this long plus one second after the first flush, answering only then.
   * @default - Duration.seconds(5); Duration.seconds(0) with `revocation`
   */
  readonly memoryTtl?: Duration;

  /**
   * The deadline of each table read or write, a whole number of milliseconds from 10 to 3000. A
   * table slower than this, or failing, costs an introspection, never an error or an allow; the
   * calls stay within the function's decision budget, so its timeout is unchanged.
   * @default Duration.millis(150)
   */
  readonly timeout?: Duration;

  /**
   * What happens to the created table when it leaves the stack. Its items are a cache: an answer
   * the OAuth server gives again, and revocation marks the server itself stands behind (a token
   * it revoked introspects as inactive), so a lost table costs introspections, not security.
   * Not with `table`.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The shared cache's table as the functions reach it. */
export interface SharedCacheTable {
  readonly table: ITable;
  /** `SHARED_CACHE_TABLE`: the created table's name, or an imported table's ARN (its account and region). */
  readonly reference: string;
  /** Seconds: `SHARED_CACHE_MEMORY_TTL_SECONDS`. */
  readonly memoryTtlSeconds: number;
}

/** The KMS actions a function needs of a table's customer-managed key to read and write its items. */
const TABLE_KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

/**
 * The shared cache's table (created, or `options.table`) and the authorizer's access to it: the
 * three `SHARED_CACHE_*` variables, and `dynamodb:GetItem` and `dynamodb:PutItem` on the table
 * for `token#` items only, nothing more.
 */
export function createSharedCache(
  scope: Construct,
  options: SharedCacheOptions,
  fn: LambdaFunction,
  role: IRole,
  withRevocation = false,
): SharedCacheTable {
  if (options.table !== undefined) checkRegion(scope, options.table);
  const table = options.table ?? createTable(scope, options);
  const reference = options.table === undefined ? table.tableName : table.tableArn;
  const defaultMemoryTtlSeconds = withRevocation ? MEMORY_TTL_WITH_REVOCATION_SECONDS : DEFAULTS.sharedCacheMemoryTtlSeconds;
  const memoryTtlSeconds = (options.memoryTtl ?? Duration.seconds(defaultMemoryTtlSeconds)).toSeconds();
  fn.addEnvironment(ENV.sharedCacheTable, reference);
  fn.addEnvironment(ENV.sharedCacheTimeoutMs, String((options.timeout ?? Duration.millis(DEFAULTS.sharedCacheTimeoutMs)).toMilliseconds()));
  fn.addEnvironment(ENV.sharedCacheMemoryTtlSeconds, String(memoryTtlSeconds));
  grantItems(role, table, ['dynamodb:GetItem', 'dynamodb:PutItem'], [KEY_PREFIX.token]);
  return { table, reference, memoryTtlSeconds };
}

/**
 * `actions` on the table, for items whose key starts with one of `prefixes` (IAM's
 * `dynamodb:LeadingKeys`, the partition key's value) and, when `attributes` is given, writing no
 * other top-level attributes (`dynamodb:Attributes`), and the table key's use when it is a
 * customer-managed key.
 */
export function grantItems(
  role: IRole,
  table: ITable,
  actions: readonly string[],
  prefixes: readonly string[],
  attributes?: readonly string[],
): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [...actions],
      resources: [table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': prefixes.map((prefix) => `${prefix}*`) },
        ...(attributes === undefined ? {} : { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...attributes] } }),
      },
    }),
  );
  table.encryptionKey?.grant(role, ...TABLE_KEY_ACTIONS);
}

function createTable(scope: Construct, options: SharedCacheOptions): Table {
  const pointInTimeRecovery = options.pointInTimeRecovery === true;
  const table = new Table(scope, 'SharedCacheTable', {
    partitionKey: { name: TABLE_KEY, type: AttributeType.STRING },
    billingMode: BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TABLE_TTL_ATTRIBUTE,
    ...(options.encryptionKey === undefined
      ? { encryption: TableEncryption.AWS_MANAGED }
      : { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: options.encryptionKey }),
    removalPolicy: options.removalPolicy ?? RemovalPolicy.DESTROY,
    ...(pointInTimeRecovery ? { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } } : {}),
  });
  if (!pointInTimeRecovery) {
    Validations.of(table).acknowledge({
      id: 'AwsSolutions-DDB3',
      reason:
        'A cache: answers the OAuth server gives again and revocation marks of about an hour, which the server itself stands behind; a point-in-time restore brings back nothing of value.',
    });
  }
  return table;
}

/** An imported table in another region than the stack's: the functions would look for it in their own and never find it. */
function checkRegion(scope: Construct, table: ITable): void {
  const own = Stack.of(scope).region;
  if (Token.isUnresolved(own) || Token.isUnresolved(table.tableArn)) return;
  const { region } = Arn.split(table.tableArn, ArnFormat.SLASH_RESOURCE_NAME);
  if (region === undefined || Token.isUnresolved(region) || region === own) return;
  throw new Error(
    `sharedCache.table must be in the stack's region (${own}): the functions call DynamoDB in their own region; received a table in ${region}`,
  );
}
