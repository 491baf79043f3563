import { execFileSync } from 'node:child_process';
import { arch, cpus, platform, totalmem } from 'node:os';

/** `npm run bench`: the four benchmarks of the authorizer, each in its own process. */
const here = `${__dirname}/`;
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${arch()}, Node.js ${process.version}`,
);
console.log('(figures from one run on one shared machine: compare ratios, not absolute times, with Lambda)\n');
const run = (args: string[]) =>
  execFileSync(process.execPath, ['--no-warnings', '--import', 'tsx', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
run([`${here}invocation.ts`]);
run([`${here}cold-start.ts`]);
run(['--expose-gc', `${here}cache-memory.ts`]);
run([`${here}local-gateway.ts`]);
run([`${here}route-invocations.ts`]);
