import { type ChildProcess, spawn } from 'node:child_process';
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startLocalDynamoDb } from '../../local/dynamodb.js';

/**
 * The local DynamoDB endpoint (local/dynamodb.ts) against moto_server, a DynamoDB emulator kept
 * close to AWS by its users' bug reports: the same table of calls, through the real
 * `@aws-sdk/client-dynamodb`, must end the same way on both (the error's name, or what the table
 * holds after). Valid DynamoDB the local endpoint refuses by design (BETWEEN, IN, begins_with, …)
 * is not in the table. Messages are not compared: they differ in wording between the two. Where
 * moto departs from DynamoDB's documentation (it crashes on unparsable expressions, accepts unused
 * placeholders, counts item size its own way) the case says so, and the local endpoint is held to
 * the documentation instead.
 */
const port = 47_000 + (process.pid % 1000);
const motoEndpoint = `http://127.0.0.1:${port}`;
const TABLE = 'parity';
let moto: ChildProcess;
let local: LocalDynamoDb;
let clients: { readonly moto: DynamoDBClient; readonly local: DynamoDBClient };

interface ParityCase {
  readonly name: string;
  /** Attributes of an item written under the case's key before the call (the key added). */
  readonly seed?: Record<string, AttributeValue>;
  /** A PutItem: `Item` defaults to the key and `written: true`; `TableName` to the table. */
  readonly put?: Partial<PutItemCommandInput>;
  /** The put's `Item` as given, without the case's key: the case is about the key. */
  readonly rawItem?: true;
  /** A GetItem of the case's key. */
  readonly get?: Partial<GetItemCommandInput>;
  /**
   * Where moto_server (5.2.1) departs from DynamoDB's documented behaviour: what DynamoDB answers
   * (the local endpoint must too) and what moto answers instead. The test fails when moto agrees
   * again, so that the case moves back to plain parity.
   */
  readonly motoDeparts?: { readonly documented: { readonly error: string } | { readonly ok: null }; readonly moto: string };
}

const VALIDATION = { error: 'ValidationException' } as const;
/** moto's parser raises on these: a 500 with an HTML body (the SDK reports a SyntaxError). */
const MOTO_CRASHES = { documented: VALIDATION, moto: '500 Internal Server Error (HTML)' };

const revokedValue = { ':revoked': { S: 'revoked' } };
const stateName = { '#state': 'state' };
const sharedCacheWrite = {
  ConditionExpression: 'attribute_not_exists(#state) OR #state <> :revoked',
  ExpressionAttributeNames: stateName,
  ExpressionAttributeValues: revokedValue,
};
const replayClaim = {
  ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR claimId = :claim',
  ExpressionAttributeValues: { ':now': { N: '1000' }, ':claim': { S: 'mine' } },
};
const hundred = { expiresAt: { N: '100' } };
const condition = (ConditionExpression: string, ExpressionAttributeValues?: Record<string, AttributeValue>) => ({
  ConditionExpression,
  ...(ExpressionAttributeValues ? { ExpressionAttributeValues } : {}),
});

const CASES: readonly ParityCase[] = [
  { name: 'attribute_not_exists(pk) on a new key', put: condition('attribute_not_exists(pk)') },
  { name: 'attribute_not_exists(pk) on an existing key', seed: { state: { S: 'active' } }, put: condition('attribute_not_exists(pk)') },
  {
    name: 'attribute_exists(#k) on a new key',
    put: { ConditionExpression: 'attribute_exists(#k)', ExpressionAttributeNames: { '#k': 'pk' } },
  },
  {
    name: 'attribute_exists(#k) on an existing key',
    seed: {},
    put: { ConditionExpression: 'attribute_exists(#k)', ExpressionAttributeNames: { '#k': 'pk' } },
  },
  { name: 'shared cache write on a new key', put: sharedCacheWrite },
  { name: 'shared cache write over an active entry', seed: { state: { S: 'active' } }, put: sharedCacheWrite },
  { name: 'shared cache write over a revocation mark', seed: { state: { S: 'revoked' } }, put: sharedCacheWrite },
  {
    name: '<> on an absent attribute',
    put: { ConditionExpression: '#state <> :revoked', ExpressionAttributeNames: stateName, ExpressionAttributeValues: revokedValue },
  },
  {
    name: '= on an absent attribute',
    put: { ConditionExpression: '#state = :revoked', ExpressionAttributeNames: stateName, ExpressionAttributeValues: revokedValue },
  },
  { name: 'number < a smaller number (lexically greater)', seed: hundred, put: condition('expiresAt < :n', { ':n': { N: '99' } }) },
  { name: 'number < a number with an exponent', seed: hundred, put: condition('expiresAt < :n', { ':n': { N: '1e3' } }) },
  { name: 'number = the same number with trailing zeros', seed: hundred, put: condition('expiresAt = :n', { ':n': { N: '100.000' } }) },
  { name: 'number <= itself', seed: hundred, put: condition('expiresAt <= :n', { ':n': { N: '100' } }) },
  { name: 'number >= a larger fraction', seed: hundred, put: condition('expiresAt >= :n', { ':n': { N: '100.5' } }) },
  { name: 'number > a negative number', seed: hundred, put: condition('expiresAt > :n', { ':n': { N: '-1000' } }) },
  { name: 'negative numbers', seed: { n: { N: '-5' } }, put: condition('n > :n', { ':n': { N: '-10' } }) },
  { name: 'small fractions', seed: { n: { N: '0.001' } }, put: condition('n < :n', { ':n': { N: '0.01' } }) },
  { name: 'string < string', seed: { s: { S: 'active' } }, put: condition('s < :b', { ':b': { S: 'b' } }) },
  { name: 'string > string', seed: { s: { S: 'active' } }, put: condition('s > :b', { ':b': { S: 'b' } }) },
  { name: 'number = the same digits as a string', seed: hundred, put: condition('expiresAt = :s', { ':s': { S: '100' } }) },
  { name: 'number <> the same digits as a string', seed: hundred, put: condition('expiresAt <> :s', { ':s': { S: '100' } }) },
  { name: 'replay claim on a new key', put: replayClaim },
  { name: 'replay claim over an expired claim', seed: { expiresAt: { N: '999' }, claimId: { S: 'other' } }, put: replayClaim },
  { name: 'replay claim over its own claim', seed: { expiresAt: { N: '2000' }, claimId: { S: 'mine' } }, put: replayClaim },
  { name: "replay claim over another's live claim", seed: { expiresAt: { N: '2000' }, claimId: { S: 'other' } }, put: replayClaim },
  { name: 'NOT attribute_exists on an existing key', seed: hundred, put: condition('NOT attribute_exists(pk)') },
  { name: 'lower-case not', seed: hundred, put: condition('not attribute_not_exists(pk)') },
  {
    name: 'AND binds tighter than OR (false)',
    seed: hundred,
    put: condition('attribute_not_exists(pk) OR expiresAt > :a AND expiresAt < :b', { ':a': { N: '50' }, ':b': { N: '80' } }),
  },
  {
    name: 'parentheses around OR',
    seed: hundred,
    put: condition('(attribute_exists(pk) OR expiresAt > :a) AND expiresAt < :b', { ':a': { N: '50' }, ':b': { N: '80' } }),
  },
  {
    name: 'AND binds tighter than OR (true)',
    seed: hundred,
    put: condition('attribute_exists(pk) or expiresAt > :a and expiresAt < :b', { ':a': { N: '50' }, ':b': { N: '80' } }),
  },
  { name: 'NOT over parentheses', seed: hundred, put: condition('NOT (attribute_exists(pk) AND expiresAt > :a)', { ':a': { N: '50' } }) },
  {
    name: 'map and list paths',
    seed: { m: { M: { inside: { S: 'x' } } }, l: { L: [{ S: 'a' }, { N: '7' }] } },
    put: condition('m.inside = :x AND l[1] = :seven', { ':x': { S: 'x' }, ':seven': { N: '7' } }),
  },
  {
    name: 'absent map member and list element',
    seed: { m: { M: { inside: { S: 'x' } } }, l: { L: [{ S: 'a' }] } },
    put: condition('attribute_exists(m.elsewhere) OR attribute_exists(l[2])'),
  },
  { name: 'syntax error: a trailing OR', put: condition('attribute_not_exists(pk) OR'), motoDeparts: MOTO_CRASHES },
  {
    name: 'syntax error: two conditions without an operator',
    put: condition('attribute_not_exists(pk) expiresAt'),
    motoDeparts: MOTO_CRASHES,
  },
  { name: 'syntax error: an unclosed parenthesis', put: condition('(attribute_exists(pk)'), motoDeparts: MOTO_CRASHES },
  { name: 'syntax error: a bare path', put: condition('pk'), motoDeparts: MOTO_CRASHES },
  { name: 'syntax error: ==', put: condition('pk == :v', { ':v': { S: 'x' } }), motoDeparts: MOTO_CRASHES },
  { name: 'an empty condition', put: condition(''), motoDeparts: { documented: VALIDATION, moto: 'ignores the condition and writes' } },
  { name: 'a reserved word as a bare name', put: condition('state = :v', { ':v': { S: 'x' } }) },
  { name: 'an undefined name placeholder', put: condition('#undefined = :v', { ':v': { S: 'x' } }), motoDeparts: MOTO_CRASHES },
  { name: 'an undefined value placeholder', put: condition('pk = :undefined', { ':v': { S: 'x' } }), motoDeparts: MOTO_CRASHES },
  {
    name: 'BOOL ordered by <',
    put: condition('expiresAt < :b', { ':b': { BOOL: true } }),
    motoDeparts: { documented: VALIDATION, moto: 'evaluates the comparison (ConditionalCheckFailedException)' },
  },
  { name: 'attribute_exists of a value', put: condition('attribute_exists(:v)', { ':v': { S: 'x' } }), motoDeparts: MOTO_CRASHES },
  { name: 'an unknown function', put: condition('no_such_function(pk)'), motoDeparts: MOTO_CRASHES },
  {
    name: 'an unused name placeholder',
    put: { ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeNames: { '#unused': 'x' } },
  },
  {
    name: 'an unused value placeholder',
    put: condition('attribute_not_exists(pk)', { ':unused': { S: 'x' } }),
    motoDeparts: { documented: VALIDATION, moto: 'accepts it and writes' },
  },
  {
    name: 'values without an expression',
    put: { ExpressionAttributeValues: { ':v': { S: 'x' } } },
    motoDeparts: { documented: VALIDATION, moto: 'accepts them and writes' },
  },
  { name: 'an item without its key', rawItem: true, put: { Item: { other: { S: 'x' } } } },
  { name: 'a key of the wrong type', rawItem: true, put: { Item: { pk: { N: '1' } } } },
  { name: 'an empty string key', rawItem: true, put: { Item: { pk: { S: '' } } } },
  { name: 'an item over 400 KB', put: { Item: { big: { S: 'x'.repeat(410 * 1_024) } } } },
  { name: 'an item of 400,000 bytes', put: { Item: { big: { S: 'x'.repeat(400_000 - 30) } } } },
  {
    // DynamoDB's limit is 400 KB (409,600 bytes, names included); moto's is 405,000 ("between 409 and 410KB" by its own comment).
    name: 'an item of 409,590 bytes',
    put: { Item: { big: { S: 'x'.repeat(409_590 - 12) } } },
    motoDeparts: { documented: { ok: null }, moto: 'ValidationException (its limit is 405,000 bytes)' },
  },
  { name: 'a number that is not one', put: { Item: { n: { N: 'abc' } } } },
  { name: 'PutItem on an unknown table', put: { TableName: 'no-such-table' } },
  { name: 'GetItem on an unknown table', get: { TableName: 'no-such-table' } },
  {
    name: 'GetItem with a key of the wrong type',
    get: { Key: { pk: { N: '1' } } },
    motoDeparts: { documented: VALIDATION, moto: 'answers no item' },
  },
  { name: 'GetItem of an absent key', get: {} },
  {
    name: 'GetItem with a projection through a placeholder',
    seed: { state: { S: 'active' }, m: { M: { a: { S: 'x' }, b: { S: 'y' } } } },
    get: { ProjectionExpression: '#state, m.b', ExpressionAttributeNames: stateName },
  },
  {
    name: 'GetItem with overlapping projected paths',
    seed: { m: { M: { a: { S: 'x' } } } },
    get: { ProjectionExpression: 'm, m.a' },
    motoDeparts: { documented: VALIDATION, moto: 'answers the item' },
  },
  { name: 'GetItem by ARN', seed: { v: { N: '1' } }, get: { TableName: `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}` } },
  { name: 'PutItem by ARN', put: { TableName: `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}` } },
  {
    name: 'every attribute type stored and returned',
    put: {
      Item: {
        s: { S: 'text é' },
        empty: { S: '' },
        n: { N: '12.5' },
        b: { B: new Uint8Array([0, 1, 254, 255]) },
        yes: { BOOL: true },
        nothing: { NULL: true },
        m: { M: { a: { S: 'x' }, deeper: { M: { n: { N: '1' } } } } },
        l: { L: [{ S: 'a' }, { N: '2' }, { BOOL: false }] },
        ss: { SS: ['a', 'b'] },
      },
    },
  },
  { name: 'ReturnValues ALL_OLD', seed: { v: { N: '1' } }, put: { ReturnValues: 'ALL_OLD' } },
  {
    name: 'ReturnValuesOnConditionCheckFailure ALL_OLD',
    seed: { v: { N: '1' } },
    put: { ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
  },
];

/** Runs one case on one endpoint under `key`: its outcome (error name, or ok and what it answered) and the item after. */
async function run(client: DynamoDBClient, key: string, parityCase: ParityCase) {
  const pk = { S: key };
  if (parityCase.seed) await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk, ...parityCase.seed } }));
  let outcome: unknown;
  try {
    if (parityCase.get) {
      const answer = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk }, ...parityCase.get }));
      outcome = { ok: answer.Item ?? null };
    } else {
      const given = parityCase.put?.Item ?? { written: { BOOL: true } };
      const input = { TableName: TABLE, ...parityCase.put, Item: parityCase.rawItem ? given : { pk, ...given } };
      const answer = await client.send(new PutItemCommand(input));
      outcome = { ok: answer.Attributes ?? null };
    }
  } catch (error) {
    const { name, Item } = error as Error & { Item?: unknown };
    outcome = Item === undefined ? { error: name } : { error: name, Item };
  }
  const after = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk }, ConsistentRead: true }));
  return { outcome, after: after.Item ?? null };
}

beforeAll(async () => {
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  for (let attempt = 0; ; attempt++) {
    try {
      await fetch(`${motoEndpoint}/moto-api/`);
      break;
    } catch (error) {
      if (attempt > 100) throw new Error(`moto_server did not start on ${motoEndpoint}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  local = await startLocalDynamoDb();
  clients = {
    moto: new DynamoDBClient({ endpoint: motoEndpoint, region: 'us-east-1', maxAttempts: 1 }),
    local: new DynamoDBClient({ endpoint: local.endpoint, region: 'us-east-1', maxAttempts: 1 }),
  };
  for (const client of Object.values(clients)) {
    await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: TABLE, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } }),
    );
  }
});
afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await local?.close();
  moto?.kill();
});

describe('the local DynamoDB endpoint and moto_server end every call the same way', () => {
  it.each(CASES.map((parityCase, i) => [parityCase.name, i] as const))('%s', async (_name, i) => {
    const parityCase = CASES[i] as ParityCase;
    const key = `case-${i}`;
    const [onMoto, onLocal] = await Promise.all([run(clients.moto, key, parityCase), run(clients.local, key, parityCase)]);
    if (parityCase.motoDeparts === undefined) {
      expect(onLocal).toEqual(onMoto);
    } else {
      expect(onLocal.outcome, 'the local endpoint answers as DynamoDB documents').toEqual(parityCase.motoDeparts.documented);
      expect(
        onMoto.outcome,
        `moto now agrees with DynamoDB (it used to: ${parityCase.motoDeparts.moto}): make this a parity case`,
      ).not.toEqual(parityCase.motoDeparts.documented);
    }
  });

  it('both refuse a second table of the same name with ResourceInUseException', async () => {
    const create = (client: DynamoDBClient) =>
      client
        .send(
          new CreateTableCommand({
            TableName: TABLE,
            KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
            AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
            BillingMode: 'PAY_PER_REQUEST',
          }),
        )
        .then(
          () => 'ok',
          (error: Error) => error.name,
        );
    expect([await create(clients.local), await create(clients.moto)]).toEqual(['ResourceInUseException', 'ResourceInUseException']);
  });
});
