import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { localTableSpecs, type Resources } from '../local/template.js';

/** The table's calls over a run and the capacity units DynamoDB would bill for them. */
export interface TableUsage {
  readonly gets: number;
  readonly puts: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

/** The local DynamoDB endpoint in a process of its own (table-process.ts), for `--shared-cache`. */
export interface TableServer {
  readonly endpoint: string;
  /** Creates the template's tables under their local names (local/template.ts, localTableName). */
  createTables(resources: Resources): Promise<void>;
  usage(): Promise<TableUsage>;
  close(): Promise<void>;
}

const DEADLINE_MS = 10_000;

export async function startTableServer(): Promise<TableServer> {
  const child: ChildProcess = fork(resolve(__dirname, 'table-process.ts'), [], {
    execArgv: ['--import', 'tsx', '--no-warnings'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const endpoint = await new Promise<string>((done, reject) => {
    const timer = setTimeout(() => reject(new Error('the local DynamoDB endpoint did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`the local DynamoDB endpoint exited with code ${code} while starting`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer);
      done(line.trim());
    });
  });
  let nextId = 0;
  const ask = <T>(message: Record<string, unknown>) =>
    new Promise<T>((done, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`the local DynamoDB endpoint did not answer ${String(message.op)}`)), DEADLINE_MS);
      const onMessage = (answer: { id?: number }) => {
        if (answer.id !== id) return;
        clearTimeout(timer);
        child.off('message', onMessage);
        done(answer as T);
      };
      child.on('message', onMessage);
      child.send({ ...message, id });
    });
  return {
    endpoint,
    async createTables(resources) {
      await ask({ op: 'createTables', tables: localTableSpecs(resources) });
    },
    async usage() {
      return (await ask<{ usage: TableUsage }>({ op: 'usage' })).usage;
    },
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill();
      }),
  };
}
