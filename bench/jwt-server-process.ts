import { type ChildProcess, fork } from 'node:child_process';

/** Starts bench/jwt-server.ts in its own process, so that its work does not share the measured event loop. */
export function startJwtServer(): Promise<{ child: ChildProcess; url: URL }> {
  const child = fork(new URL('./jwt-server.ts', import.meta.url).pathname, {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  return new Promise((resolve) => {
    child.stdout?.once('data', (data: Buffer) => resolve({ child, url: new URL(`http://127.0.0.1:${data.toString().trim()}/introspect`) }));
  });
}
