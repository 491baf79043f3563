import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { type Condition, ExpressionPlaceholders, evaluate, parseCondition, parseProjection, project } from './dynamodb-expression.js';
import {
  type AttributeValue,
  checkValue,
  DynamoDbValidationError,
  type Item,
  itemSize,
  MAX_ITEM_BYTES,
  parseNumber,
  typeOf,
} from './dynamodb-values.js';
import { closeServer, listen, readBody } from './http-server.js';

/**
 * A protocol-level DynamoDB endpoint on 127.0.0.1 (AWS JSON 1.0: `POST /` with
 * `X-Amz-Target: DynamoDB_20120810.<Operation>`), for the real `@aws-sdk/client-dynamodb` and for
 * the function's own signed calls, pointed at it through `AWS_ENDPOINT_URL_DYNAMODB`. It serves
 * what the project uses, as DynamoDB's API Reference describes it:
 *
 * - `CreateTable` (one HASH key of type S, N or B; on-demand or provisioned; SSE accepted),
 *   `DescribeTable`, `UpdateTimeToLive`;
 * - `GetItem` (`ConsistentRead`: every read is consistent here; `ProjectionExpression` with
 *   `ExpressionAttributeNames`), `PutItem` (`ConditionExpression`, `ExpressionAttributeNames`,
 *   `ExpressionAttributeValues`, `ReturnValues` NONE/ALL_OLD, `ReturnValuesOnConditionCheckFailure`),
 *   both with `ReturnConsumedCapacity`. Condition expressions are parsed and evaluated by
 *   local/dynamodb-expression.ts: `attribute_exists`, `attribute_not_exists`, `= <> < <= > >=`
 *   (numbers compared numerically), `AND`, `OR`, `NOT`, parentheses, `#name` and `:value`.
 *
 * DynamoDB's checks it makes: an unknown table (`ResourceNotFoundException`, by name or ARN), a key
 * that does not match the schema, an item over 400 KB, malformed attribute values, undefined or
 * unused placeholders, reserved words as bare names, unparsable expressions (`ValidationException`);
 * a failed condition is `ConditionalCheckFailedException`, 400. Valid DynamoDB it does not serve (other
 * operations, sort keys, indexes, `BETWEEN`, `IN`, `begins_with`, …, the legacy `Expected` and
 * `AttributesToGet`) is refused loudly (`UnknownOperationException` or `ValidationException`), never
 * answered as if it held.
 *
 * Time to live: like DynamoDB, which deletes expired items within days, not at their expiry, it
 * keeps expired items: they are read and they fail `attribute_not_exists` until `sweepExpired()` runs
 * DynamoDB's deletion pass. Readers must compare expiry themselves, as on AWS. Other differences:
 * `CreateTable` answers `CREATING` and the table is usable at once (`DescribeTable` answers `ACTIVE`);
 * `ItemCount` and `TableSizeBytes` are current (DynamoDB updates them about every six hours).
 *
 * Like the local Secrets Manager (local/secrets-manager.ts), it checks that a call carries a
 * Signature Version 4 `Authorization` header scoped to `dynamodb`, not the signature itself.
 */
export interface LocalDynamoDb {
  readonly endpoint: string;
  /** GetItem calls answered past the signature check, errors included. */
  readonly gets: number;
  /** PutItem calls answered past the signature check: written, refused by their condition, or invalid. */
  readonly puts: number;
  /** Calls per operation, every answer counted (`{ GetItem: 3, PutItem: 2, … }`). */
  readonly calls: Readonly<Record<string, number>>;
  /** PutItem calls refused with ConditionalCheckFailedException. */
  readonly conditionalCheckFailures: number;
  /** Capacity units consumed, as DynamoDB would bill them (reads: 4 KB units, ½ for eventually consistent; writes: 1 KB units). */
  readonly consumed: { readonly readUnits: number; readonly writeUnits: number };
  /** Answer every call with a 500 (InternalServerError) while true, to test an unavailable DynamoDB. */
  failing: boolean;
  /** Milliseconds every answer waits before it is sent (0: at once), to test a slow DynamoDB. */
  delayMs: number;
  /** Error answers for the next calls, taken in order before any other answer (`{ status: 400, type: 'ThrottlingException' }`). */
  next: { readonly status: number; readonly type: string }[];
  /** The `Authorization` header of the last call. */
  readonly lastAuthorization: string | undefined;
  /** Creates a table as the construct does (HASH key `key`, string; on demand; TTL on `ttlAttribute` if given), at once; returns its ARN. */
  createTable(name: string, options?: { readonly key?: string; readonly ttlAttribute?: string }): string;
  /** The item stored under a string hash key, expired or not, as DynamoDB holds it; undefined if none. */
  item(table: string, key: string): Item | undefined;
  /** DynamoDB's late TTL deletion pass, run now: deletes items whose TTL attribute (a number, seconds) is before `nowSeconds`. Returns how many. */
  sweepExpired(nowSeconds?: number): number;
  close(): Promise<void>;
}

interface Table {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly key: string;
  readonly keyType: 'S' | 'N' | 'B';
  readonly createdSeconds: number;
  readonly billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  readonly provisioned: { readonly read: number; readonly write: number };
  readonly sse: { readonly kmsKeyArn: string } | undefined;
  readonly items: Map<string, Item>;
  ttl: { readonly attribute: string; readonly enabled: boolean } | undefined;
}

/** An answer other than 200: DynamoDB's error type (with its namespace), status and message. */
class DynamoDbError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const DYNAMODB_NS = 'com.amazonaws.dynamodb.v20120810#';
const CORAL_SERVICE_NS = 'com.amazon.coral.service#';
const VALIDATION_TYPE = 'com.amazon.coral.validate#ValidationException';

/** `AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/dynamodb/aws4_request, SignedHeaders=…host…, Signature=<64 hex>`. */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[A-Za-z0-9]+\/\d{8}\/[a-z0-9-]+\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]*\bhost\b[a-z0-9;-]*, Signature=[0-9a-f]{64}$/;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})$/;
const ACCOUNT = '000000000000';

/** DynamoDB keeps no TTL deletion for a TTL value more than five years in the past. */
const TTL_HORIZON_SECONDS = 5 * 365 * 24 * 3_600;

export async function startLocalDynamoDb(port = 0, region = 'us-east-1'): Promise<LocalDynamoDb> {
  const tables = new Map<string, Table>();
  const calls: Record<string, number> = {};
  const consumed = { readUnits: 0, writeUnits: 0 };
  let conditionalCheckFailures = 0;
  let lastAuthorization: string | undefined;

  const validation = (message: string) => new DynamoDbError(VALIDATION_TYPE, message);

  function tableOf(body: Record<string, unknown>, allowArn = true): Table {
    const given = body.TableName;
    if (typeof given !== 'string') {
      throw validation("1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null");
    }
    const name = allowArn ? (TABLE_ARN.exec(given)?.[1] ?? given) : given;
    if (!TABLE_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${given}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and length 3 to 255`,
      );
    }
    const table = tables.get(name);
    if (table === undefined) throw new DynamoDbError(`${DYNAMODB_NS}ResourceNotFoundException`, 'Requested resource not found');
    return table;
  }

  function createTable(body: Record<string, unknown>): Table {
    const name = body.TableName;
    if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${String(name)}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and length 3 to 255`,
      );
    }
    if (body.GlobalSecondaryIndexes !== undefined || body.LocalSecondaryIndexes !== undefined) {
      throw validation('the local DynamoDB endpoint does not serve secondary indexes');
    }
    const keySchema = body.KeySchema as { AttributeName?: unknown; KeyType?: unknown }[] | undefined;
    const definitions = body.AttributeDefinitions as { AttributeName?: unknown; AttributeType?: unknown }[] | undefined;
    if (!Array.isArray(keySchema) || keySchema.length === 0)
      throw validation('One or more parameter values were invalid: KeySchema is required');
    if (keySchema.some((k) => k.KeyType === 'RANGE')) throw validation('the local DynamoDB endpoint does not serve sort (RANGE) keys');
    if (keySchema.length !== 1 || keySchema[0]?.KeyType !== 'HASH' || typeof keySchema[0].AttributeName !== 'string') {
      throw validation('One or more parameter values were invalid: Invalid KeySchema: The first KeySchemaElement is not a HASH key type');
    }
    const key = keySchema[0].AttributeName;
    if (!Array.isArray(definitions) || definitions.length !== 1) {
      throw validation(
        'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
      );
    }
    const definition = definitions[0];
    if (definition?.AttributeName !== key) {
      throw validation('One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions');
    }
    const keyType = definition.AttributeType;
    if (keyType !== 'S' && keyType !== 'N' && keyType !== 'B') {
      throw validation(
        `1 validation error detected: Value '${String(keyType)}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`,
      );
    }
    const billingMode = body.BillingMode ?? 'PROVISIONED';
    const throughput = body.ProvisionedThroughput as { ReadCapacityUnits?: unknown; WriteCapacityUnits?: unknown } | undefined;
    if (billingMode === 'PAY_PER_REQUEST' && throughput !== undefined) {
      throw validation(
        'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
      );
    }
    if (
      billingMode === 'PROVISIONED' &&
      (typeof throughput?.ReadCapacityUnits !== 'number' || typeof throughput.WriteCapacityUnits !== 'number')
    ) {
      throw validation(
        'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
      );
    }
    if (billingMode !== 'PAY_PER_REQUEST' && billingMode !== 'PROVISIONED') {
      throw validation(
        `1 validation error detected: Value '${String(billingMode)}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]`,
      );
    }
    if (tables.has(name)) throw new DynamoDbError(`${DYNAMODB_NS}ResourceInUseException`, `Table already exists: ${name}`);
    const sse = body.SSESpecification as { Enabled?: unknown; KMSMasterKeyId?: unknown } | undefined;
    const table: Table = {
      name,
      arn: `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`,
      id: randomUUID(),
      key,
      keyType,
      createdSeconds: Date.now() / 1000,
      billingMode,
      provisioned: { read: Number(throughput?.ReadCapacityUnits ?? 0), write: Number(throughput?.WriteCapacityUnits ?? 0) },
      sse:
        sse?.Enabled === true
          ? { kmsKeyArn: typeof sse.KMSMasterKeyId === 'string' ? sse.KMSMasterKeyId : `arn:aws:kms:${region}:${ACCOUNT}:key/aws-dynamodb` }
          : undefined,
      items: new Map(),
      ttl: undefined,
    };
    tables.set(name, table);
    return table;
  }

  function describe(table: Table, status: 'CREATING' | 'ACTIVE') {
    let size = 0;
    for (const item of table.items.values()) size += itemSize(item);
    return {
      AttributeDefinitions: [{ AttributeName: table.key, AttributeType: table.keyType }],
      TableName: table.name,
      KeySchema: [{ AttributeName: table.key, KeyType: 'HASH' }],
      TableStatus: status,
      CreationDateTime: table.createdSeconds,
      ProvisionedThroughput: {
        NumberOfDecreasesToday: 0,
        ReadCapacityUnits: table.provisioned.read,
        WriteCapacityUnits: table.provisioned.write,
      },
      TableSizeBytes: size,
      ItemCount: table.items.size,
      TableArn: table.arn,
      TableId: table.id,
      ...(table.billingMode === 'PAY_PER_REQUEST'
        ? { BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST', LastUpdateToPayPerRequestDateTime: table.createdSeconds } }
        : {}),
      ...(table.sse ? { SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: table.sse.kmsKeyArn } } : {}),
      DeletionProtectionEnabled: false,
    };
  }

  /** The map key of an item: its key attribute's type and canonical value. */
  function storageKey(table: Table, value: AttributeValue): string {
    const content = value[table.keyType] as string;
    if (table.keyType === 'N') {
      const { negative, digits, exponent } = parseNumber(content);
      return `N:${negative ? '-' : ''}${digits}e${exponent}`;
    }
    return table.keyType === 'B' ? `B:${Buffer.from(content, 'base64').toString('hex')}` : `S:${content}`;
  }

  function checkKeyValue(table: Table, value: AttributeValue): void {
    const content = value[table.keyType];
    if ((table.keyType === 'S' || table.keyType === 'B') && content === '') {
      throw validation(
        `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${table.keyType === 'S' ? 'string' : 'binary'} value. Key: ${table.key}`,
      );
    }
  }

  function keyOf(table: Table, body: Record<string, unknown>): string {
    const key = body.Key as Record<string, unknown> | undefined;
    if (typeof key !== 'object' || key === null) {
      throw validation("1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null");
    }
    for (const value of Object.values(key)) checkValue(value);
    const value = key[table.key] as AttributeValue | undefined;
    if (Object.keys(key).length !== 1 || value === undefined || typeOf(value) !== table.keyType) {
      throw validation('The provided key element does not match the schema');
    }
    checkKeyValue(table, value);
    return storageKey(table, value);
  }

  function refuseLegacy(body: Record<string, unknown>, names: readonly string[]): void {
    for (const name of names) {
      if (body[name] !== undefined)
        throw validation(`the local DynamoDB endpoint does not serve the legacy parameter ${name}; use expressions`);
    }
  }

  function capacity(body: Record<string, unknown>, table: Table, units: number, kind: 'read' | 'write') {
    if (kind === 'read') consumed.readUnits += units;
    else consumed.writeUnits += units;
    const mode = body.ReturnConsumedCapacity ?? 'NONE';
    if (mode === 'NONE') return {};
    if (mode !== 'TOTAL' && mode !== 'INDEXES') {
      throw validation(
        `1 validation error detected: Value '${String(mode)}' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]`,
      );
    }
    const total = { TableName: table.name, CapacityUnits: units, [kind === 'read' ? 'ReadCapacityUnits' : 'WriteCapacityUnits']: units };
    return { ConsumedCapacity: mode === 'INDEXES' ? { ...total, Table: { CapacityUnits: units } } : total };
  }

  function getItem(body: Record<string, unknown>) {
    const table = tableOf(body);
    refuseLegacy(body, ['AttributesToGet']);
    const key = keyOf(table, body);
    const placeholders = new ExpressionPlaceholders(body.ExpressionAttributeNames as Record<string, unknown> | undefined, undefined);
    if (body.ExpressionAttributeNames !== undefined && body.ProjectionExpression === undefined) {
      throw validation('ExpressionAttributeNames can only be specified when using expressions');
    }
    const projection = typeof body.ProjectionExpression === 'string' ? parseProjection(body.ProjectionExpression, placeholders) : undefined;
    placeholders.checkAllUsed();
    const item = table.items.get(key);
    // Strongly consistent: 1 unit per 4 KB read; eventually consistent: half. Every read here is consistent.
    const units = Math.max(1, Math.ceil((item === undefined ? 0 : itemSize(item)) / 4_096)) * (body.ConsistentRead === true ? 1 : 0.5);
    const consumedCapacity = capacity(body, table, units, 'read');
    if (item === undefined) return { ...consumedCapacity };
    return { Item: projection === undefined ? item : project(item, projection), ...consumedCapacity };
  }

  function putItem(body: Record<string, unknown>) {
    const table = tableOf(body);
    refuseLegacy(body, ['Expected', 'ConditionalOperator']);
    const item = body.Item as Record<string, unknown> | undefined;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw validation("1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null");
    }
    for (const value of Object.values(item)) checkValue(value);
    const keyValue = item[table.key] as AttributeValue | undefined;
    if (keyValue === undefined) throw validation(`One or more parameter values were invalid: Missing the key ${table.key} in the item`);
    if (typeOf(keyValue) !== table.keyType) {
      throw validation(
        `One or more parameter values were invalid: Type mismatch for key ${table.key} expected: ${table.keyType} actual: ${typeOf(keyValue)}`,
      );
    }
    checkKeyValue(table, keyValue);
    const stored = item as Item;
    const size = itemSize(stored);
    if (size > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
    const returnValues = body.ReturnValues ?? 'NONE';
    if (returnValues !== 'NONE' && returnValues !== 'ALL_OLD') throw validation('ReturnValues can only be ALL_OLD or NONE');
    const onFailure = body.ReturnValuesOnConditionCheckFailure ?? 'NONE';
    if (onFailure !== 'NONE' && onFailure !== 'ALL_OLD') {
      throw validation(
        `1 validation error detected: Value '${String(onFailure)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
      );
    }
    const names = body.ExpressionAttributeNames as Record<string, unknown> | undefined;
    const values = body.ExpressionAttributeValues as Record<string, unknown> | undefined;
    if (body.ConditionExpression === undefined && names !== undefined) {
      throw validation('ExpressionAttributeNames can only be specified when using expressions');
    }
    if (body.ConditionExpression === undefined && values !== undefined) {
      throw validation('ExpressionAttributeValues can only be specified when using expressions');
    }
    const placeholders = new ExpressionPlaceholders(names, values);
    let condition: Condition | undefined;
    if (body.ConditionExpression !== undefined) {
      if (typeof body.ConditionExpression !== 'string') throw validation('ConditionExpression must be a string');
      condition = parseCondition(body.ConditionExpression, placeholders);
    }
    placeholders.checkAllUsed();
    const key = storageKey(table, keyValue);
    const old = table.items.get(key);
    // 1 write unit per 1 KB of the larger of the old and the new item, refused writes included.
    const units = Math.max(1, Math.ceil(Math.max(size, old === undefined ? 0 : itemSize(old)) / 1_024));
    if (condition !== undefined && !evaluate(condition, old)) {
      consumed.writeUnits += units;
      conditionalCheckFailures++;
      throw new DynamoDbError(
        `${DYNAMODB_NS}ConditionalCheckFailedException`,
        'The conditional request failed',
        400,
        onFailure === 'ALL_OLD' && old !== undefined ? { Item: old } : {},
      );
    }
    table.items.set(key, structuredClone(stored));
    const consumedCapacity = capacity(body, table, units, 'write');
    return { ...(returnValues === 'ALL_OLD' && old !== undefined ? { Attributes: old } : {}), ...consumedCapacity };
  }

  function updateTimeToLive(body: Record<string, unknown>) {
    const table = tableOf(body, false);
    const specification = body.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
    if (
      typeof specification?.AttributeName !== 'string' ||
      specification.AttributeName === '' ||
      typeof specification.Enabled !== 'boolean'
    ) {
      throw validation('One or more parameter values were invalid: TimeToLiveSpecification needs an AttributeName and Enabled');
    }
    const enabled = table.ttl?.enabled === true;
    if (specification.Enabled && enabled) throw validation('TimeToLive is already enabled');
    if (!specification.Enabled && !enabled) throw validation('TimeToLive is already disabled');
    table.ttl = { attribute: specification.AttributeName, enabled: specification.Enabled };
    return { TimeToLiveSpecification: { AttributeName: specification.AttributeName, Enabled: specification.Enabled } };
  }

  function answer(target: string, body: Record<string, unknown>): unknown {
    const operation = target.startsWith('DynamoDB_20120810.') ? target.slice('DynamoDB_20120810.'.length) : undefined;
    switch (operation) {
      case 'CreateTable': {
        const table = createTable(body);
        return { TableDescription: describe(table, 'CREATING') };
      }
      case 'DescribeTable': {
        return { Table: describe(tableOf(body), 'ACTIVE') };
      }
      case 'UpdateTimeToLive':
        return updateTimeToLive(body);
      case 'GetItem':
        return getItem(body);
      case 'PutItem':
        return putItem(body);
      default:
        throw new DynamoDbError(
          `${CORAL_SERVICE_NS}UnknownOperationException`,
          `the local DynamoDB endpoint does not serve ${target || 'an empty X-Amz-Target'}`,
        );
    }
  }

  let gets = 0;
  let puts = 0;
  const server = http.createServer(async (request, response) => {
    const text = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const reply = (status: number, payload: unknown) => {
      const json = JSON.stringify(payload);
      response
        .writeHead(status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': randomUUID().replace(/-/g, '').toUpperCase(),
          'x-amz-crc32': String(crc32(Buffer.from(json, 'utf8'))),
        })
        .end(json);
    };
    const fail = (error: DynamoDbError) => reply(error.status, { __type: error.type, message: error.message, ...error.extra });
    const operation = target.split('.').pop() ?? '';
    calls[operation] = (calls[operation] ?? 0) + 1;
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    if (state.failing) return fail(new DynamoDbError(`${DYNAMODB_NS}InternalServerError`, 'local endpoint set to fail', 500));
    const scripted = state.next.shift();
    if (scripted !== undefined) return fail(new DynamoDbError(scripted.type, 'scripted answer of the local endpoint', scripted.status));
    lastAuthorization = request.headers.authorization;
    if (lastAuthorization === undefined) {
      return fail(new DynamoDbError(`${CORAL_SERVICE_NS}MissingAuthenticationTokenException`, 'Request is missing Authentication Token'));
    }
    if (!SIGV4_AUTHORIZATION.test(lastAuthorization) || request.headers['x-amz-date'] === undefined) {
      return fail(
        new DynamoDbError(`${CORAL_SERVICE_NS}IncompleteSignatureException`, 'The request signature does not conform to AWS standards.'),
      );
    }
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new TypeError('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return fail(new DynamoDbError(`${CORAL_SERVICE_NS}SerializationException`, 'Start of structure or map found where not expected.'));
    }
    if (operation === 'GetItem') gets++;
    if (operation === 'PutItem') puts++;
    try {
      return reply(200, answer(target, body));
    } catch (error) {
      if (error instanceof DynamoDbError) return fail(error);
      if (error instanceof DynamoDbValidationError) return fail(new DynamoDbError(VALIDATION_TYPE, error.message));
      return fail(new DynamoDbError(`${DYNAMODB_NS}InternalServerError`, `local endpoint error: ${(error as Error).message}`, 500));
    }
  });
  await listen(server, port);

  const state: LocalDynamoDb = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get gets() {
      return gets;
    },
    get puts() {
      return puts;
    },
    get calls() {
      return { ...calls };
    },
    get conditionalCheckFailures() {
      return conditionalCheckFailures;
    },
    get consumed() {
      return { ...consumed };
    },
    failing: false,
    delayMs: 0,
    next: [],
    get lastAuthorization() {
      return lastAuthorization;
    },
    createTable(name, options = {}) {
      const key = options.key ?? 'pk';
      const table = createTable({
        TableName: name,
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      });
      if (options.ttlAttribute !== undefined) table.ttl = { attribute: options.ttlAttribute, enabled: true };
      return table.arn;
    },
    item(name, key) {
      const table = tables.get(TABLE_ARN.exec(name)?.[1] ?? name);
      return table?.items.get(`S:${key}`);
    },
    sweepExpired(nowSeconds = Date.now() / 1000) {
      let deleted = 0;
      for (const table of tables.values()) {
        if (table.ttl?.enabled !== true) continue;
        for (const [key, item] of table.items) {
          const ttl = item[table.ttl.attribute];
          if (ttl === undefined || typeOf(ttl) !== 'N') continue;
          const expiresAt = Number(ttl.N);
          if (expiresAt < nowSeconds && expiresAt > nowSeconds - TTL_HORIZON_SECONDS) {
            table.items.delete(key);
            deleted++;
          }
        }
      }
      return deleted;
    },
    close: () => closeServer(server),
  };
  return state;
}
