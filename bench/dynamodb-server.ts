import { startLocalDynamoDb } from '../local/dynamodb.js';

/**
 * The local DynamoDB endpoint (local/dynamodb.ts) in its own process for the benchmarks, with the
 * shared cache's table (`BENCH_TABLE`, partition key pk, TTL on expiresAt). Prints its endpoint on stdout.
 */
async function main(): Promise<void> {
  const dynamo = await startLocalDynamoDb();
  dynamo.createTable(process.env.BENCH_TABLE ?? 'bench-shared-cache', { key: 'pk', ttlAttribute: 'expiresAt' });
  process.stdout.write(`${dynamo.endpoint}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
