import {
  type AttributeValue,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbReplayStore } from '../../lambda/sender-constraints/replay-dynamodb.js';
import { KEY_PREFIX, TOKEN_ITEM } from '../../lambda/shared-cache/table-format.js';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.js';
import { ExpressionPlaceholders, evaluate, parseCondition } from '../../local/dynamodb-expression.js';
import { compareNumbers, DynamoDbValidationError } from '../../local/dynamodb-values.js';

/** The local DynamoDB endpoint through the real `@aws-sdk/client-dynamodb`, and through the function's own signed PutItem. */
const TABLE = 'shared-cache';
let local: LocalDynamoDb;
let sdk: DynamoDBClient;

beforeAll(async () => {
  local = await startLocalDynamoDb();
  sdk = new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', maxAttempts: 1 });
  await sdk.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await sdk.send(new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }));
});
afterAll(async () => {
  sdk.destroy();
  await local.close();
});
beforeEach(() => {
  local.failing = false;
  local.delayMs = 0;
  local.next.length = 0;
});

let keys = 0;
/** A key no other test uses. */
const freshKey = () => `key-${++keys}`;

const put = (input: Omit<PutItemCommandInput, 'TableName'> & { TableName?: string }) =>
  sdk.send(new PutItemCommand({ TableName: TABLE, ...input }));
const get = async (pk: string) =>
  (await sdk.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ConsistentRead: true }))).Item;
/** The error name a call fails with, or 'ok'. */
const outcome = (call: Promise<unknown>) =>
  call.then(
    () => 'ok',
    (error: Error) => error.name,
  );

describe('tables', () => {
  it('creates a table with a string hash key, answers CREATING, and describes it as ACTIVE by name and by ARN', async () => {
    const created = await sdk.send(
      new CreateTableCommand({
        TableName: 'described',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { Enabled: true, SSEType: 'KMS' },
      }),
    );
    expect(created.TableDescription).toMatchObject({
      TableName: 'described',
      TableStatus: 'CREATING',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    });
    const arn = created.TableDescription?.TableArn as string;
    expect(arn).toMatch(/^arn:aws:dynamodb:us-east-1:\d{12}:table\/described$/);
    const described = await sdk.send(new DescribeTableCommand({ TableName: arn }));
    expect(described.Table).toMatchObject({
      TableName: 'described',
      TableStatus: 'ACTIVE',
      ItemCount: 0,
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
      SSEDescription: { Status: 'ENABLED', SSEType: 'KMS' },
    });
  });

  it('refuses a second table of the same name (ResourceInUseException) and a sort key it does not serve (ValidationException)', async () => {
    const again = sdk.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await expect(again).rejects.toMatchObject({ name: 'ResourceInUseException', message: `Table already exists: ${TABLE}` });
    const sorted = sdk.send(
      new CreateTableCommand({
        TableName: 'sorted',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await expect(sorted).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/sort \(RANGE\) keys/) });
  });

  it('refuses a provisioned table without its throughput, as DynamoDB does', async () => {
    const call = sdk.send(
      new CreateTableCommand({
        TableName: 'provisioned',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      }),
    );
    await expect(call).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/ReadCapacityUnits and WriteCapacityUnits/),
    });
  });

  it('enables TTL once and says so when it is enabled again', async () => {
    const again = sdk.send(
      new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }),
    );
    await expect(again).rejects.toMatchObject({ name: 'ValidationException', message: 'TimeToLive is already enabled' });
  });

  it('answers ResourceNotFoundException for every operation on an unknown table', async () => {
    const TableName = 'no-such-table';
    expect(await outcome(sdk.send(new DescribeTableCommand({ TableName })))).toBe('ResourceNotFoundException');
    expect(await outcome(sdk.send(new GetItemCommand({ TableName, Key: { pk: { S: 'x' } } })))).toBe('ResourceNotFoundException');
    expect(await outcome(put({ TableName, Item: { pk: { S: 'x' } } }))).toBe('ResourceNotFoundException');
    expect(
      await outcome(sdk.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true } }))),
    ).toBe('ResourceNotFoundException');
  });
});

describe('items', () => {
  it('stores and returns every attribute type as given', async () => {
    const pk = freshKey();
    const item: Record<string, AttributeValue> = {
      pk: { S: pk },
      s: { S: 'text é' },
      empty: { S: '' },
      n: { N: '12.50' },
      b: { B: new Uint8Array([0, 1, 254, 255]) },
      yes: { BOOL: true },
      nothing: { NULL: true },
      m: { M: { inner: { S: 'x' }, deeper: { M: { n: { N: '1' } } } } },
      l: { L: [{ S: 'a' }, { N: '2' }, { BOOL: false }] },
      ss: { SS: ['a', 'b'] },
      ns: { NS: ['1', '2'] },
    };
    await put({ Item: item });
    expect(await get(pk)).toEqual(item);
  });

  it('answers no Item for a key it does not hold', async () => {
    expect(await get(freshKey())).toBeUndefined();
  });

  it('projects the attributes asked for, names through placeholders, map members kept in their map', async () => {
    const pk = freshKey();
    await put({ Item: { pk: { S: pk }, state: { S: 'active' }, token: { S: '{}' }, m: { M: { a: { S: 'x' }, b: { S: 'y' } } } } });
    const answer = await sdk.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: pk } },
        ProjectionExpression: '#state, m.b, absent',
        ExpressionAttributeNames: { '#state': 'state' },
      }),
    );
    expect(answer.Item).toEqual({ state: { S: 'active' }, m: { M: { b: { S: 'y' } } } });
  });

  it('refuses overlapping projected paths, and leaves the stored item as it was', async () => {
    const pk = freshKey();
    await put({ Item: { pk: { S: pk }, m: { M: { a: { S: 'x' } } } } });
    const call = sdk.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ProjectionExpression: 'm, m.b' }));
    await expect(call).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Two document paths overlap/) });
    expect(await get(pk)).toEqual({ pk: { S: pk }, m: { M: { a: { S: 'x' } } } });
  });

  it('refuses a reserved word as a bare name in a projection (token, state), as DynamoDB does', async () => {
    const call = sdk.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' } }, ProjectionExpression: 'token' }));
    await expect(call).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: token',
    });
  });

  it('refuses a key that does not match the schema, in GetItem and in PutItem', async () => {
    expect(await outcome(sdk.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { N: '1' } } })))).toBe('ValidationException');
    expect(await outcome(sdk.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'a' }, other: { S: 'b' } } })))).toBe(
      'ValidationException',
    );
    await expect(put({ Item: { other: { S: 'x' } } })).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: Missing the key pk in the item',
    });
    await expect(put({ Item: { pk: { N: '1' } } })).rejects.toMatchObject({
      message: 'One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N',
    });
    await expect(put({ Item: { pk: { S: '' } } })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/empty string/),
    });
  });

  it('refuses an item over 400 KB and takes one just under it', async () => {
    const pk = freshKey();
    // pk (2) + its value + big (3) + the string.
    const room = 400 * 1_024 - 2 - pk.length - 3;
    await expect(put({ Item: { pk: { S: pk }, big: { S: 'x'.repeat(room + 1) } } })).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    });
    await put({ Item: { pk: { S: pk }, big: { S: 'x'.repeat(room) } } });
    expect((await get(pk))?.big?.S).toHaveLength(room);
  });

  it('refuses malformed attribute values: a number that is not one, NULL false', async () => {
    await expect(put({ Item: { pk: { S: freshKey() }, n: { N: 'abc' } } })).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'The parameter cannot be converted to a numeric value: abc',
    });
    await expect(put({ Item: { pk: { S: freshKey() }, n: { NULL: false } } })).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('takes the table by its ARN in GetItem and PutItem', async () => {
    const arn = `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}`;
    const pk = freshKey();
    await put({ TableName: arn, Item: { pk: { S: pk } } });
    const answer = await sdk.send(new GetItemCommand({ TableName: arn, Key: { pk: { S: pk } } }));
    expect(answer.Item).toEqual({ pk: { S: pk } });
  });

  it('returns the old item with ReturnValues ALL_OLD, and consumed capacity when asked', async () => {
    const pk = freshKey();
    await put({ Item: { pk: { S: pk }, v: { N: '1' } } });
    const answer = await put({ Item: { pk: { S: pk }, v: { N: '2' } }, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' });
    expect(answer.Attributes).toEqual({ pk: { S: pk }, v: { N: '1' } });
    expect(answer.ConsumedCapacity).toMatchObject({ TableName: TABLE, CapacityUnits: 1 });
    const read = await sdk.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: pk } }, ReturnConsumedCapacity: 'TOTAL' }));
    expect(read.ConsumedCapacity).toMatchObject({ CapacityUnits: 0.5 });
  });
});

describe('PutItem condition expressions', () => {
  /** Writes `seed` (if any) under a fresh key, then the conditional put; the outcome and what the table holds after. */
  async function conditional(
    seed: Record<string, AttributeValue> | undefined,
    ConditionExpression: string,
    ExpressionAttributeValues?: Record<string, AttributeValue>,
    ExpressionAttributeNames?: Record<string, string>,
  ) {
    const pk = freshKey();
    if (seed) await put({ Item: { pk: { S: pk }, ...seed } });
    const result = await outcome(
      put({ Item: { pk: { S: pk }, written: { BOOL: true } }, ConditionExpression, ExpressionAttributeValues, ExpressionAttributeNames }),
    );
    const written = (await get(pk))?.written !== undefined;
    // A refused write leaves the item as it was.
    expect(written).toBe(result === 'ok');
    return result;
  }

  const active = { state: { S: 'active' } };
  const revoked = { state: { S: 'revoked' } };

  it('attribute_not_exists(pk): true on a new key, false on an existing one', async () => {
    expect(await conditional(undefined, 'attribute_not_exists(pk)')).toBe('ok');
    expect(await conditional(active, 'attribute_not_exists(pk)')).toBe('ConditionalCheckFailedException');
  });

  it('attribute_exists(#k): false on a new key, true on an existing one', async () => {
    expect(await conditional(undefined, 'attribute_exists(#k)', undefined, { '#k': 'pk' })).toBe('ConditionalCheckFailedException');
    expect(await conditional(active, 'attribute_exists(#k)', undefined, { '#k': 'pk' })).toBe('ok');
  });

  it("the shared cache's write: not over a revocation mark, over anything else", async () => {
    const names = { '#state': TOKEN_ITEM.state };
    const values = { ':revoked': { S: 'revoked' } };
    const expression = 'attribute_not_exists(#state) OR #state <> :revoked';
    expect(await conditional(undefined, expression, values, names)).toBe('ok');
    expect(await conditional(active, expression, values, names)).toBe('ok');
    expect(await conditional(revoked, expression, values, names)).toBe('ConditionalCheckFailedException');
  });

  it('<> on an absent attribute is true, = on it false, as DynamoDB evaluates them', async () => {
    expect(await conditional(undefined, '#state <> :revoked', { ':revoked': { S: 'revoked' } }, { '#state': 'state' })).toBe('ok');
    expect(await conditional(undefined, '#state = :revoked', { ':revoked': { S: 'revoked' } }, { '#state': 'state' })).toBe(
      'ConditionalCheckFailedException',
    );
  });

  it('compares numbers numerically, not as strings', async () => {
    const seed = { expiresAt: { N: '100' } };
    // As strings "100" < "99"; as numbers it is not.
    expect(await conditional(seed, 'expiresAt < :n', { ':n': { N: '99' } })).toBe('ConditionalCheckFailedException');
    expect(await conditional(seed, 'expiresAt < :n', { ':n': { N: '1e3' } })).toBe('ok');
    expect(await conditional(seed, 'expiresAt = :n', { ':n': { N: '100.000' } })).toBe('ok');
    expect(await conditional(seed, 'expiresAt <= :n', { ':n': { N: '100' } })).toBe('ok');
    expect(await conditional(seed, 'expiresAt >= :n', { ':n': { N: '100.5' } })).toBe('ConditionalCheckFailedException');
    expect(await conditional(seed, 'expiresAt > :n', { ':n': { N: '-1000' } })).toBe('ok');
    expect(await conditional({ n: { N: '-5' } }, 'n > :n', { ':n': { N: '-10' } })).toBe('ok');
    expect(await conditional({ n: { N: '0.001' } }, 'n < :n', { ':n': { N: '0.01' } })).toBe('ok');
  });

  it('compares strings by their bytes, and values of different types as unequal and unordered', async () => {
    expect(await conditional(active, '#s < :b', { ':b': { S: 'b' } }, { '#s': 'state' })).toBe('ok');
    expect(await conditional(active, '#s > :b', { ':b': { S: 'b' } }, { '#s': 'state' })).toBe('ConditionalCheckFailedException');
    const seed = { expiresAt: { N: '100' } };
    expect(await conditional(seed, 'expiresAt = :s', { ':s': { S: '100' } })).toBe('ConditionalCheckFailedException');
    expect(await conditional(seed, 'expiresAt <> :s', { ':s': { S: '100' } })).toBe('ok');
    expect(await conditional(seed, 'expiresAt < :s', { ':s': { S: '999' } })).toBe('ConditionalCheckFailedException');
  });

  it("the replay store's claim: absent, expired, or its own claim", async () => {
    const expression = 'attribute_not_exists(pk) OR expiresAt < :now OR claimId = :claim';
    const values = { ':now': { N: '1000' }, ':claim': { S: 'mine' } };
    expect(await conditional(undefined, expression, values)).toBe('ok');
    expect(await conditional({ expiresAt: { N: '999' }, claimId: { S: 'other' } }, expression, values)).toBe('ok');
    expect(await conditional({ expiresAt: { N: '2000' }, claimId: { S: 'mine' } }, expression, values)).toBe('ok');
    expect(await conditional({ expiresAt: { N: '2000' }, claimId: { S: 'other' } }, expression, values)).toBe(
      'ConditionalCheckFailedException',
    );
  });

  it('NOT, AND before OR, parentheses, keywords in any case', async () => {
    const seed = { expiresAt: { N: '100' } };
    const values = { ':a': { N: '50' }, ':b': { N: '80' } };
    expect(await conditional(seed, 'NOT attribute_exists(pk)')).toBe('ConditionalCheckFailedException');
    expect(await conditional(seed, 'not attribute_not_exists(pk)')).toBe('ok');
    // attribute_not_exists(pk) OR (expiresAt > :a AND expiresAt < :b): false OR (true AND false).
    expect(await conditional(seed, 'attribute_not_exists(pk) OR expiresAt > :a AND expiresAt < :b', values)).toBe(
      'ConditionalCheckFailedException',
    );
    // (attribute_exists(pk) OR expiresAt > :a) AND expiresAt < :b: (true) AND false.
    expect(await conditional(seed, '(attribute_exists(pk) OR expiresAt > :a) AND expiresAt < :b', values)).toBe(
      'ConditionalCheckFailedException',
    );
    // attribute_exists(pk) OR (expiresAt > :a AND expiresAt < :b): true.
    expect(await conditional(seed, 'attribute_exists(pk) or expiresAt > :a and expiresAt < :b', values)).toBe('ok');
    expect(await conditional(seed, 'NOT (attribute_exists(pk) AND expiresAt > :a)', { ':a': { N: '50' } })).toBe(
      'ConditionalCheckFailedException',
    );
  });

  it('follows document paths into maps and lists', async () => {
    const seed = { m: { M: { inside: { S: 'x' } } }, l: { L: [{ S: 'a' }, { N: '7' }] } };
    expect(await conditional(seed, 'm.inside = :x AND l[1] = :seven', { ':x': { S: 'x' }, ':seven': { N: '7' } })).toBe('ok');
    expect(await conditional(seed, 'attribute_exists(m.elsewhere) OR attribute_exists(l[2])')).toBe('ConditionalCheckFailedException');
  });

  it('answers ConditionalCheckFailedException with the old item when asked (ReturnValuesOnConditionCheckFailure)', async () => {
    const pk = freshKey();
    await put({ Item: { pk: { S: pk }, v: { N: '1' } } });
    const call = put({
      Item: { pk: { S: pk } },
      ConditionExpression: 'attribute_not_exists(pk)',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    await expect(call).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
      Item: { pk: { S: pk }, v: { N: '1' } },
    });
  });

  it.each([
    ['attribute_not_exists(pk) OR', {}, 'Syntax error; token: "<EOF>"'],
    ['attribute_not_exists(pk) expiresAt', {}, 'Syntax error; token: "expiresAt"'],
    ['(attribute_exists(pk)', {}, 'Syntax error; token: "<EOF>"'],
    ['pk', {}, 'Syntax error; token: "<EOF>"'],
    ['pk == :v', { ':v': { S: 'x' } }, 'Syntax error; token: "="'],
    ['pk = :v;', { ':v': { S: 'x' } }, 'Syntax error; token: ";"'],
    ['', {}, 'The expression can not be empty'],
    ['state = :v', { ':v': { S: 'x' } }, 'Attribute name is a reserved keyword; reserved keyword: state'],
    [
      '#undefined = :v',
      { ':v': { S: 'x' } },
      'An expression attribute name used in the document path is not defined; attribute name: #undefined',
    ],
    [
      'pk = :undefined',
      { ':v': { S: 'x' } },
      'An expression attribute value used in expression is not defined; attribute value: :undefined',
    ],
    [
      'expiresAt < :b',
      { ':b': { BOOL: true } },
      'Incorrect operand type for operator or function; operator or function: <, operand type: BOOL',
    ],
    ['attribute_exists(:v)', { ':v': { S: 'x' } }, 'Operator or function requires a document path; operator or function: attribute_exists'],
    ['Attribute_Exists(pk)', {}, 'Invalid function name; function: Attribute_Exists'],
    ['begins_with(pk, :v)', { ':v': { S: 'x' } }, 'does not serve the function begins_with'],
    ['expiresAt BETWEEN :a AND :b', { ':a': { N: '1' }, ':b': { N: '2' } }, 'does not serve the operator BETWEEN'],
    ['pk IN (:a, :b)', { ':a': { S: '1' }, ':b': { S: '2' } }, 'does not serve the operator IN'],
  ])('refuses %j with a ValidationException, never as true', async (expression, values, message) => {
    const pk = freshKey();
    const call = put({
      Item: { pk: { S: pk } },
      ConditionExpression: expression,
      ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    });
    await expect(call).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining(message) });
    expect(await get(pk)).toBeUndefined();
  });

  it('refuses placeholders no expression uses', async () => {
    await expect(
      put({
        Item: { pk: { S: freshKey() } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeNames: { '#unused': 'x' },
      }),
    ).rejects.toMatchObject({ message: 'Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}' });
    await expect(
      put({
        Item: { pk: { S: freshKey() } },
        ConditionExpression: 'attribute_not_exists(pk)',
        ExpressionAttributeValues: { ':unused': { S: 'x' } },
      }),
    ).rejects.toMatchObject({ message: 'Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}' });
    await expect(put({ Item: { pk: { S: freshKey() } }, ExpressionAttributeValues: { ':v': { S: 'x' } } })).rejects.toMatchObject({
      message: 'ExpressionAttributeValues can only be specified when using expressions',
    });
  });
});

describe('time to live', () => {
  it('keeps an expired item, as DynamoDB does until its late deletion pass, and deletes it in that pass', async () => {
    const pk = freshKey();
    const past = Math.floor(Date.now() / 1000) - 60;
    await put({ Item: { pk: { S: pk }, expiresAt: { N: String(past) } } });
    expect(await get(pk)).toBeDefined();
    expect(await outcome(put({ Item: { pk: { S: pk } }, ConditionExpression: 'attribute_not_exists(pk)' }))).toBe(
      'ConditionalCheckFailedException',
    );
    const kept = freshKey();
    await put({ Item: { pk: { S: kept }, expiresAt: { N: String(past + 3_600) } } });
    expect(local.sweepExpired()).toBeGreaterThanOrEqual(1);
    expect(await get(pk)).toBeUndefined();
    expect(await get(kept)).toBeDefined();
  });
});

describe('the endpoint', () => {
  it('counts reads and writes, per operation', async () => {
    const before = { gets: local.gets, puts: local.puts, calls: local.calls };
    const pk = freshKey();
    await put({ Item: { pk: { S: pk } } });
    await get(pk);
    await get(pk);
    expect(local.gets - before.gets).toBe(2);
    expect(local.puts - before.puts).toBe(1);
    expect((local.calls.GetItem ?? 0) - (before.calls.GetItem ?? 0)).toBe(2);
  });

  it('answers 500 while failing, scripted errors in order, and late when delayed', async () => {
    local.failing = true;
    await expect(get('x')).rejects.toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    local.failing = false;
    local.next.push({ status: 400, type: 'ThrottlingException' }, { status: 400, type: 'ProvisionedThroughputExceededException' });
    expect(await outcome(get('x'))).toBe('ThrottlingException');
    expect(await outcome(get('x'))).toBe('ProvisionedThroughputExceededException');
    expect(await outcome(get('x'))).toBe('ok');
    local.delayMs = 150;
    const started = Date.now();
    await get('x');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('refuses an unsigned call, a call signed for another service, and an operation it does not serve', async () => {
    const raw = (headers: Record<string, string>) =>
      fetch(local.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.DescribeTable', ...headers },
        body: JSON.stringify({ TableName: TABLE }),
      });
    const unsigned = await raw({});
    expect([unsigned.status, ((await unsigned.json()) as { __type: string }).__type]).toEqual([
      400,
      'com.amazon.coral.service#MissingAuthenticationTokenException',
    ]);
    const otherService = await raw({
      authorization: `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      'x-amz-date': '20260101T000000Z',
    });
    expect(((await otherService.json()) as { __type: string }).__type).toBe('com.amazon.coral.service#IncompleteSignatureException');
    const scan = sdk.send(new (await import('@aws-sdk/client-dynamodb')).ScanCommand({ TableName: TABLE }));
    await expect(scan).rejects.toMatchObject({ name: 'UnknownOperationException' });
  });

  it("serves the function's own signed PutItem: the replay store claims once, again after expiry, by name or ARN", async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 's',
    };
    const store = new DynamoDbReplayStore(TABLE, 3_000, env);
    const byArn = new DynamoDbReplayStore(`arn:aws:dynamodb:eu-west-1:123456789012:table/${TABLE}`, 3_000, env);
    const now = Math.floor(Date.now() / 1000);
    const key = `${KEY_PREFIX.securityEvent}replay-${freshKey()}`;
    expect(await store.claim(key, now + 10, now)).toBe(true);
    expect(await byArn.claim(key, now + 10, now + 5)).toBe(false);
    expect(await store.claim(key, now + 80, now + 11)).toBe(true);
    expect(local.item(TABLE, key)?.expiresAt).toEqual({ N: String(now + 80) });
    expect(local.lastAuthorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\/\d{8}\/eu-west-1\/dynamodb\/aws4_request/);
  });
});

describe('the expression parser and the number comparison, by property', () => {
  const names = { '#n': 'state' };
  const values = { ':v': { S: 'revoked' }, ':w': { N: '5' } };

  it('either parses an expression or refuses it with a ValidationException, whatever the tokens', () => {
    const token = fc.constantFrom(
      'attribute_exists',
      'attribute_not_exists',
      'begins_with',
      '(',
      ')',
      ',',
      '.',
      '[0]',
      '[',
      'pk',
      'state',
      '#n',
      '#x',
      ':v',
      ':w',
      ':x',
      'AND',
      'or',
      'NOT',
      'BETWEEN',
      '=',
      '<>',
      '<',
      '>=',
      '==',
      '!',
      ';',
      '',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 12 }), (tokens) => {
        try {
          const condition = parseCondition(tokens.join(' '), new ExpressionPlaceholders(names, values));
          expect(typeof evaluate(condition, { pk: { S: 'a' }, state: { S: 'active' } })).toBe('boolean');
        } catch (error) {
          expect(error).toBeInstanceOf(DynamoDbValidationError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('evaluates AND, OR and NOT as boolean logic, however deeply nested', () => {
    type Tree = boolean | { op: 'AND' | 'OR'; left: Tree; right: Tree } | { op: 'NOT'; inner: Tree };
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.boolean(),
        fc.record({ op: fc.constantFrom('AND' as const, 'OR' as const), left: tie('tree'), right: tie('tree') }),
        fc.record({ op: fc.constant('NOT' as const), inner: tie('tree') }),
      ),
    }));
    const text = (t: Tree): string =>
      typeof t === 'boolean'
        ? t
          ? 'attribute_exists(pk)'
          : 'attribute_not_exists(pk)'
        : t.op === 'NOT'
          ? `NOT (${text(t.inner)})`
          : `(${text(t.left)}) ${t.op} (${text(t.right)})`;
    const truth = (t: Tree): boolean =>
      typeof t === 'boolean'
        ? t
        : t.op === 'NOT'
          ? !truth(t.inner)
          : t.op === 'AND'
            ? truth(t.left) && truth(t.right)
            : truth(t.left) || truth(t.right);
    fc.assert(
      fc.property(tree, (t) => {
        const condition = parseCondition(text(t), new ExpressionPlaceholders(undefined, undefined));
        expect(evaluate(condition, { pk: { S: 'a' } })).toBe(truth(t));
      }),
      { numRuns: 500 },
    );
  });

  it('orders numbers as exact decimals do, whatever their notation', () => {
    // A decimal as DynamoDB may receive it, and its exact value as a BigInt scaled by 10^200.
    const decimal = fc
      .record({
        negative: fc.boolean(),
        integer: fc.stringMatching(/^[0-9]{1,12}$/),
        fraction: fc.stringMatching(/^[0-9]{0,12}$/),
        exponent: fc.integer({ min: -40, max: 40 }),
        notation: fc.constantFrom('plain', 'exponent'),
      })
      .map(({ negative, integer, fraction, exponent, notation }) => {
        const digits = BigInt(`${integer}${fraction}`);
        const scale = 200 + (notation === 'exponent' ? exponent : 0) - fraction.length;
        const exact = (negative ? -1n : 1n) * digits * 10n ** BigInt(scale);
        const text = `${negative ? '-' : ''}${integer}${fraction === '' ? '' : `.${fraction}`}${notation === 'exponent' ? `e${exponent}` : ''}`;
        return { text, exact };
      });
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        expect(Math.sign(compareNumbers(a.text, b.text))).toBe(a.exact === b.exact ? 0 : a.exact < b.exact ? -1 : 1);
      }),
      { numRuns: 5_000 },
    );
  });
});
