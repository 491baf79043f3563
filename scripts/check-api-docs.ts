import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Checks the TypeDoc JSON (`npm run docs`): every exported class and function of the public
 * entry points carries an `@example`. Exits non-zero, naming the ones that do not.
 */
interface Reflection {
  name: string;
  kind: number;
  comment?: { blockTags?: { tag: string }[] };
  signatures?: Reflection[];
  children?: Reflection[];
}
const CLASS = 128;
const FUNCTION = 64;
const project = JSON.parse(readFileSync(resolve(__dirname, '../docs/api/api.json'), 'utf8')) as Reflection;
const modules = project.children ?? [];
const hasExample = (r: Reflection) => [r, ...(r.signatures ?? [])].some((x) => x.comment?.blockTags?.some((tag) => tag.tag === '@example'));
const checked: string[] = [];
const missing: string[] = [];
for (const module of modules) {
  for (const child of module.children ?? []) {
    if (child.kind !== CLASS && child.kind !== FUNCTION) continue;
    checked.push(`${module.name}/${child.name}`);
    if (!hasExample(child)) missing.push(`${module.name}/${child.name}`);
  }
}
if (checked.length === 0) throw new Error('no exported classes or functions found in docs/api/api.json');
if (missing.length > 0) {
  process.stderr.write(`API docs: no @example on ${missing.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(`API docs: @example on all ${checked.length} exported classes and functions (${checked.join(', ')})\n`);
