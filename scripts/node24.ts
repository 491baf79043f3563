/**
 * Node 24, the Node.js major Lambda runs the authorizer on (nodejs24.x): shorthand for
 * `scripts/node-release.ts 24` (see there), kept for `npm run node24`, `soak:node24` and `bench:node24`.
 *
 *   npx tsx scripts/node24.ts --print-path          # fetch if needed, print the binary's path
 *   npx tsx scripts/node24.ts <node arguments…>     # run Node 24 with these arguments
 */
import { envWithNode, NODE_RELEASES, nodeBinaryPath, runOnNode } from './node-release.js';

/** The release fetched; bump it in scripts/node-release.ts with Lambda's nodejs24.x runtime. */
export const NODE24_VERSION = NODE_RELEASES['24'];

/** The Node 24 binary's path, fetched and unpacked first when it is not cached. */
export const node24Path = (): string => nodeBinaryPath('24');

/** The environment a Node 24 child should get: its binary first on PATH. */
export const node24Env = envWithNode;

if (require.main === module) runOnNode('24', process.argv.slice(2));
