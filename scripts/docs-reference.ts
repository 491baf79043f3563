/**
 * Writes the reference tables of docs/props.md and docs/environment.md from the code, so that
 * they cannot drift from it:
 *
 * - the props tables, from the JSDoc of the public props interfaces (`lib/props.ts` and the
 *   options interfaces `lib/index.ts` exports): name, type, default (`@default`, or "required"),
 *   and the doc comment;
 * - the environment table, from `ENV` in `lambda/environment.ts` (each name's doc comment) with
 *   its `DEFAULTS` and `LIMITS`.
 *
 * Each table sits between `<!-- begin generated: <id> -->` and `<!-- end generated: <id> -->` in
 * its page; the prose around it is written by hand. test/docs/reference.test.ts regenerates the
 * tables in memory and fails when a committed page differs.
 *
 *   npx tsx scripts/docs-reference.ts           # rewrite the tables in docs/
 *   npx tsx scripts/docs-reference.ts --check   # exit 1, naming the pages, when one is stale
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import * as environment from '../lambda/environment.js';

const root = resolve(__dirname, '..');
const read = (path: string) => readFileSync(resolve(root, path), 'utf8');

/** A table's place: the page, its id in the markers, and how to make it. */
export interface GeneratedTable {
  readonly page: string;
  readonly id: string;
  readonly render: () => string;
}

/** The public interfaces documented in docs/props.md, in the order of the page. */
const PROPS_INTERFACES = [
  { file: 'lib/props.ts', name: 'PhantomTokenAuthorizerProps' },
  { file: 'lib/alarms.ts', name: 'PhantomTokenAlarmThresholds' },
  { file: 'lib/http-routes.ts', name: 'PhantomTokenHttpRouteOptions' },
  { file: 'lib/rest-authorizer.ts', name: 'PhantomTokenRestMethodOptions' },
  { file: 'lib/shared-cache.ts', name: 'SharedCacheOptions' },
  { file: 'lib/revocation-receiver.ts', name: 'RevocationOptions' },
] as const;

export const GENERATED_TABLES: readonly GeneratedTable[] = [
  ...PROPS_INTERFACES.map(({ file, name }) => ({
    page: 'docs/props.md',
    id: name,
    render: () => renderInterfaceTable(read(file), file, name),
  })),
  { page: 'docs/environment.md', id: 'ENV', render: () => renderEnvironmentTable(read('lambda/environment.ts')) },
  {
    page: 'docs/environment.md',
    id: 'REVOCATION_ENV',
    render: () => renderEnvironmentTable(read('lambda/environment.ts'), 'REVOCATION_ENV'),
  },
];

/** A doc comment split into its text and its tags. */
interface DocComment {
  readonly text: string;
  readonly tags: ReadonlyMap<string, string>;
}

/** The `/** … *\/` comment right before `node`, as text and tags (`@default`, `@example` …). */
function docCommentOf(node: ts.Node, source: string): DocComment | undefined {
  const ranges = ts.getLeadingCommentRanges(source, node.getFullStart()) ?? [];
  const range = ranges.filter((r) => source.startsWith('/**', r.pos)).at(-1);
  if (range === undefined) return undefined;
  const lines = source
    .slice(range.pos + 3, range.end - 2)
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd());
  const text: string[] = [];
  const tags = new Map<string, string>();
  let current: string | undefined;
  for (const line of lines) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line);
    if (tag) {
      current = tag[1] as string;
      tags.set(current, (tag[2] as string).trim());
    } else if (current === undefined) text.push(line);
    else tags.set(current, `${tags.get(current)} ${line.trim()}`.trim());
  }
  return { text: text.join(' ').replace(/\s+/g, ' ').trim(), tags };
}

/** Markdown for a doc comment's text: `{@link X}` becomes `X` in code, table pipes are escaped. */
function markdown(text: string): string {
  return cell(text.replace(/\{@link\s+([^}\s]+)\s*\}/g, '`$1`'));
}

/** A table cell: no line breaks, `|` escaped (also inside code spans, as GitHub reads them). */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

/** `@default` as the table shows it: a literal in code, a description (`- words`) as words. */
function defaultCell(value: string | undefined, optional: boolean): string {
  if (!optional) return 'required';
  if (value === undefined || value === '') return '—';
  if (value.startsWith('- ')) return markdown(value.slice(2));
  return `\`${cell(value)}\``;
}

/** The props table of one interface: every member, in source order. */
export function renderInterfaceTable(source: string, file: string, name: string): string {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const declaration = sourceFile.statements.find(
    (statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === name,
  );
  if (declaration === undefined) throw new Error(`${file} has no interface ${name}`);
  const rows = declaration.members.filter(ts.isPropertySignature).map((member) => {
    const prop = member.name.getText(sourceFile);
    const optional = member.questionToken !== undefined;
    const doc = docCommentOf(member, source);
    if (doc === undefined || doc.text === '') throw new Error(`${file}: ${name}.${prop} has no doc comment`);
    const type = (member.type?.getText(sourceFile) ?? 'unknown').replace(/\s+/g, ' ');
    const example = doc.tags.get('example');
    const meaning = markdown(doc.text) + (example ? ` Example: \`${cell(example)}\`.` : '');
    return `| \`${prop}\` | \`${cell(type)}\` | ${defaultCell(doc.tags.get('default'), optional)} | ${meaning} |`;
  });
  return [`<!-- from ${file}, interface ${name} -->`, '', '| prop | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The contracts the environment tables show: the object, where its defaults and ranges are, and the key prefix of its `DEFAULTS`. */
const CONTRACTS = {
  ENV: { names: environment.ENV, limits: environment.LIMITS, defaultPrefix: '' },
  REVOCATION_ENV: { names: environment.REVOCATION_ENV, limits: environment.REVOCATION_LIMITS, defaultPrefix: 'revocation' },
} as const;
type Contract = keyof typeof CONTRACTS;

/** How a variable's default is shown: from `DEFAULTS`, else the doc comment's "(default …)", else "required" or unset. */
function environmentDefault(key: string, text: string, defaultPrefix = ''): string {
  const defaults = environment.DEFAULTS as Record<string, unknown>;
  const defaultKey = defaultPrefix === '' ? key : `${defaultPrefix}${key[0]?.toUpperCase()}${key.slice(1)}`;
  if (defaultKey in defaults) return `\`${String(defaults[defaultKey])}\``;
  if (/^Required\b/.test(text)) return 'required';
  const stated = /\(default ([^)]+)\)/.exec(text)?.[1];
  if (stated === undefined) return 'unset';
  const linked = /^\{@link\s+(\w+)\s*\}$/.exec(stated)?.[1];
  const value = linked === undefined ? undefined : (environment as Record<string, unknown>)[linked];
  return Array.isArray(value) ? `\`${value.join(' ')}\`` : markdown(stated);
}

/** The environment table: every name of `ENV` (or `REVOCATION_ENV`), in source order, with its default, range and doc comment. */
export function renderEnvironmentTable(source: string, contract: Contract = 'ENV'): string {
  const file = 'lambda/environment.ts';
  const { names, limits: contractLimits, defaultPrefix } = CONTRACTS[contract];
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  let members: readonly ts.ObjectLiteralElementLike[] | undefined;
  sourceFile.forEachChild(function visit(node) {
    if (ts.isVariableDeclaration(node) && node.name.getText(sourceFile) === contract && node.initializer) {
      const literal = ts.isAsExpression(node.initializer) ? node.initializer.expression : node.initializer;
      if (ts.isObjectLiteralExpression(literal)) members = literal.properties;
    }
    node.forEachChild(visit);
  });
  if (members === undefined) throw new Error(`${file} has no ${contract} object`);
  const limits = contractLimits as Record<string, { min: number; max: number }>;
  const rows = members.filter(ts.isPropertyAssignment).map((member) => {
    const key = member.name.getText(sourceFile);
    const name = (names as Record<string, string>)[key];
    if (name === undefined) throw new Error(`${file}: ${contract}.${key} is not a string literal`);
    const doc = docCommentOf(member, source);
    if (doc === undefined || doc.text === '') throw new Error(`${file}: ${contract}.${key} has no doc comment`);
    const limit = limits[key];
    const range = limit === undefined ? '' : `${limit.min.toLocaleString('en-US')}–${limit.max.toLocaleString('en-US')}`;
    return `| \`${name}\` | ${environmentDefault(key, doc.text, defaultPrefix)} | ${range} | ${markdown(doc.text)} |`;
  });
  return [
    `<!-- from ${file}: ${contract === 'ENV' ? 'ENV, DEFAULTS, LIMITS' : 'REVOCATION_ENV, DEFAULTS, REVOCATION_LIMITS'} -->`,
    '',
    '| variable | default | range | meaning |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

const begin = (id: string) => `<!-- begin generated: ${id} (npx tsx scripts/docs-reference.ts) -->`;
const end = (id: string) => `<!-- end generated: ${id} -->`;

/** The page with the table between its markers replaced by `table`. */
export function withTable(page: string, pageName: string, id: string, table: string): string {
  const start = page.indexOf(begin(id));
  const stop = page.indexOf(end(id));
  if (start < 0 || stop < start) throw new Error(`${pageName} lacks the markers "${begin(id)}" … "${end(id)}"`);
  return `${page.slice(0, start + begin(id).length)}\n${table}\n${page.slice(stop)}`;
}

/** Every generated page as it should be: page → content. */
export function regeneratedPages(readPage: (page: string) => string = read): Map<string, string> {
  const pages = new Map<string, string>();
  for (const table of GENERATED_TABLES) {
    const current = pages.get(table.page) ?? readPage(table.page);
    pages.set(table.page, withTable(current, table.page, table.id, table.render()));
  }
  return pages;
}

function main(): void {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [page, content] of regeneratedPages()) {
    if (read(page) === content) continue;
    stale.push(page);
    if (!check) writeFileSync(resolve(root, page), content);
  }
  if (check && stale.length > 0) {
    process.stderr.write(`stale: ${stale.join(', ')}; run npx tsx scripts/docs-reference.ts\n`);
    process.exitCode = 1;
  } else process.stdout.write(stale.length > 0 ? `wrote ${stale.join(', ')}\n` : 'docs reference tables are up to date\n');
}

if (require.main === module) main();
