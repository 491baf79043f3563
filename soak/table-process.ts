import { startLocalDynamoDb } from '../local/dynamodb.js';

/**
 * The child of table-server.ts: the local DynamoDB endpoint (local/dynamodb.ts) in a process of its
 * own, as DynamoDB is a service of its own: its answers then do not wait behind the gateways, the
 * fault proxy and the clients of the soak's main process, which would make figure (c), a table
 * read's latency, measure that process's queue. Prints its endpoint. Messages from the parent:
 * `{ id, op: 'createTables', tables }` and `{ id, op: 'usage' }` (calls and capacity units so far).
 */
interface Request {
  readonly id: number;
  readonly op: 'createTables' | 'usage';
  readonly tables?: readonly { readonly name: string; readonly key: string; readonly ttlAttribute?: string }[];
}

async function main(): Promise<void> {
  const dynamodb = await startLocalDynamoDb();
  process.on('message', (request: Request) => {
    if (request.op === 'createTables') {
      for (const table of request.tables ?? []) dynamodb.createTable(table.name, table);
      process.send?.({ id: request.id });
    } else if (request.op === 'usage') {
      process.send?.({ id: request.id, usage: { gets: dynamodb.gets, puts: dynamodb.puts, ...dynamodb.consumed } });
    }
  });
  process.stdout.write(`${dynamodb.endpoint}\n`);
  process.on('disconnect', () => process.exit(0));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
