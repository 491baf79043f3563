import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Checks the jsii assembly (`npm run docs`, after jsii-docgen wrote API.md from it): every class
 * and enum carries an `@example`, every property, method and enum member a summary, and every
 * optional property a `@default`. API.md and the Python, Java, .NET and Go docs all come from
 * these comments. Exits non-zero, naming what is missing.
 */
interface Docs {
  summary?: string;
  example?: string;
  default?: string;
}
interface Member {
  name: string;
  optional?: boolean;
  docs?: Docs;
}
interface JsiiType {
  kind: 'class' | 'enum' | 'interface';
  docs?: Docs;
  properties?: Member[];
  methods?: Member[];
  members?: Member[];
}

const assembly = JSON.parse(readFileSync(resolve(__dirname, '../.jsii'), 'utf8')) as { types?: Record<string, JsiiType> };
const types = Object.entries(assembly.types ?? {});
if (types.length === 0) throw new Error('no types in .jsii: run npm run build first');
const missing: string[] = [];
for (const [fqn, type] of types) {
  if (type.kind !== 'interface' && type.docs?.example === undefined) missing.push(`${fqn}: @example`);
  if (type.docs?.summary === undefined) missing.push(`${fqn}: summary`);
  for (const member of [...(type.properties ?? []), ...(type.methods ?? []), ...(type.members ?? [])]) {
    if (member.docs?.summary === undefined) missing.push(`${fqn}.${member.name}: summary`);
    if (type.kind === 'interface' && member.optional && member.docs?.default === undefined) missing.push(`${fqn}.${member.name}: @default`);
  }
}
if (missing.length > 0) {
  process.stderr.write(`API docs: missing ${missing.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write(
  `API docs: ${types.length} types documented, classes and enums with @example, optional props with @default (${types.map(([fqn]) => fqn).join(', ')})\n`,
);
