import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Aspects, Stack, Token } from 'aws-cdk-lib';
import { Code, type Function as LambdaFunction, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { ENV } from '../lambda/environment.js';
import type { RouteTablePlanner } from './route-table-plan.js';

/** Where Lambda finds the table: layers are extracted under /opt. */
export const ROUTE_TABLE_PATH = '/opt/phantom-token/route-table.json';

/** Lambda's limit on a function's environment: 4 KB for all names and values together. */
export const ENVIRONMENT_LIMIT_BYTES = 4_096;

/** Bytes a value's unresolved part (an ARN, a name from another resource) is counted at. */
const TOKEN_BOUND_BYTES = 128;

/**
 * Ships the route table with the function, as a file in a layer of its own: the table is known
 * only once every route exists, after the function's code was bundled, and has no size limit there
 * (the environment has 4 KB in all). The layer is made during synthesis (an aspect on `owner`), from
 * the plan, which is then frozen; its asset is the file's content, so an unchanged table deploys
 * nothing new. The function reads it once, at cold start (`ROUTE_TABLE_FILE`).
 */
export function attachRouteTable(owner: Construct, fn: LambdaFunction, planner: RouteTablePlanner): void {
  fn.addEnvironment(ENV.routeTableFile, ROUTE_TABLE_PATH);
  let attached = false;
  Aspects.of(owner).add({
    visit: (node) => {
      if (node !== owner || attached) return;
      attached = true;
      const plan = planner.freeze();
      // One directory per table content: synthesizing the same table again reuses it.
      const dir = join(tmpdir(), `phantom-token-routes-${createHash('sha256').update(plan.json).digest('hex').slice(0, 32)}`);
      const file = join(dir, ROUTE_TABLE_PATH.replace(/^\/opt\//, ''));
      if (!existsSync(file)) {
        // Written whole, then renamed: a synthesis running beside this one never stages half a file.
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(`${file}.${process.pid}`, plan.json);
        renameSync(`${file}.${process.pid}`, file);
      }
      const layer = new LayerVersion(owner, 'RouteTable', {
        code: Code.fromAsset(dir),
        compatibleRuntimes: [Runtime.NODEJS_24_X],
        description: `Phantom token route table: ${plan.groups.size} routes`,
      });
      fn.addLayers(layer);
    },
  });
  owner.node.addValidation({ validate: () => [...planner.plan().errors, ...environmentSize(fn)] });
}

/** Lambda rejects a function whose environment exceeds 4 KB; say so at synth, with the largest variables. */
function environmentSize(fn: LambdaFunction): string[] {
  const cfn = fn.node.defaultChild as { environment?: unknown };
  const stack = Stack.of(fn);
  const variables = ((stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {}) as Record<
    string,
    unknown
  >;
  const sizes = Object.entries(variables).map(([name, value]) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const bound =
      typeof value === 'string' && !Token.isUnresolved(value)
        ? Buffer.byteLength(text)
        : Math.max(Buffer.byteLength(text), TOKEN_BOUND_BYTES);
    return [name, Buffer.byteLength(name) + bound] as const;
  });
  const total = sizes.reduce((sum, [, size]) => sum + size, 0);
  if (total <= ENVIRONMENT_LIMIT_BYTES) return [];
  const largest = [...sizes].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return [
    `the authorizer function's environment would be about ${total} bytes, over Lambda's ${ENVIRONMENT_LIMIT_BYTES} ` +
      `(largest: ${largest.map(([name, size]) => `${name} ${size}`).join(', ')}); values not known until deploy are counted at ${TOKEN_BOUND_BYTES} bytes`,
  ];
}
