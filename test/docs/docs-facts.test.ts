import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_POLICY_BYTES, MAX_TOKEN_LENGTH, POLICY_BUDGET_BYTES } from '../../lambda/environment.js';
import {
  CACHE_OUTCOMES,
  DENY_REASONS,
  ERROR_REASONS,
  METRIC_REASONS,
  METRICS,
  OUTCOMES,
  SHARED_CACHE_OUTCOMES,
} from '../../lambda/observability/metrics-contract.js';
import { ROUTE_TABLE_VERSION } from '../../lambda/routes/route-table-format.js';
import { ENVIRONMENT_LIMIT_BYTES } from '../../lib/route-table-layer.js';
import { MAX_SHARED_GROUPS, PREFIX_BOUND_BYTES } from '../../lib/route-table-plan.js';

const root = resolve(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const docs = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
/** The pages whose links and facts are checked: the README, CONTRIBUTING.md and every page in docs/. */
const pages = ['README.md', 'CONTRIBUTING.md', ...docs];

/** The section of a page from a heading to the next heading of the same or a higher level. */
function section(page: string, heading: string): string {
  const text = read(page);
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${page} has no heading "${heading}"`);
  const level = heading.indexOf(' ');
  const rest = text.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level}} `));
  return next < 0 ? rest : rest.slice(0, next);
}

/** The first column of each table row of a section, when it is one code span: `| \`name\` | …`. */
function firstColumn(text: string): string[] {
  return [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1] as string);
}

/** Markdown without its fenced code blocks (links and headings there are not links or headings). */
function prose(text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, '');
}

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (heading as string)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

describe('the docs state what the metrics contract says', () => {
  const denyReasons = Object.keys(DENY_REASONS);

  it('lists every deny reason, with its class, and nothing else, in docs/operations.md', () => {
    const table = section('docs/operations.md', '## Deny reasons and error codes');
    const rows = [...table.matchAll(/^\| `([a-z_]+)` \| (invalid_token|insufficient_scope) \|/gm)];
    expect(rows.map((row) => row[1])).toEqual(denyReasons);
    for (const [, reason, kind] of rows) expect(kind, reason).toBe(DENY_REASONS[reason as keyof typeof DENY_REASONS]);
  });

  it('lists every error code, and nothing else, in docs/operations.md', () => {
    const table = section('docs/operations.md', '## Deny reasons and error codes');
    expect(firstColumn(table).filter((name) => name.startsWith('ERR_'))).toEqual([...ERROR_REASONS].sort(byContractOrder));
  });

  it('counts deny reasons and error codes as the contract does, wherever the docs give both counts', () => {
    const counts = pages.flatMap((page) =>
      [...prose(read(page)).matchAll(/\b(\d+) deny reasons(?:\*\*)?\s+and\s+(?:\*\*)?(\d+) error codes\b/g)].map(
        ([phrase, deny, error]) => ({
          page,
          phrase,
          deny: Number(deny),
          error: Number(error),
        }),
      ),
    );
    expect(counts.map(({ page }) => page)).toContain('docs/operations.md');
    for (const { page, phrase, deny, error } of counts) {
      expect([deny, error], `${page}: "${phrase}"`).toEqual([denyReasons.length, ERROR_REASONS.length]);
    }
  });

  it('gives the number of custom metrics and alarm metrics the contract makes', () => {
    const cost = section('docs/operations.md', '## Metrics');
    const customMetrics =
      OUTCOMES.length + METRIC_REASONS.length + CACHE_OUTCOMES.length + SHARED_CACHE_OUTCOMES.length + Object.keys(METRICS).length - 1;
    expect(cost).toContain(`by reason (${METRIC_REASONS.length}: the ${denyReasons.length} deny reasons`);
    expect(cost).toContain(`| **${customMetrics}** at most |`);
    expect(cost).toContain(`**$${(customMetrics * 0.3).toFixed(2)}** at most`);
    // The token-spraying alarm: all denies less each reason that is not an invalid token.
    const notInvalidToken = Object.values(DENY_REASONS).filter((kind) => kind !== 'invalid_token').length;
    expect(cost).toContain(`the invalid-token alarm's **${1 + notInvalidToken}** metrics`);
    expect(cost).toContain(`| **${4 + 1 + notInvalidToken}** alarm metrics |`);
  });

  it("gives the README's limits as the constants have them", () => {
    const limits = section('README.md', '## Limits');
    expect(limits).toContain(`\`MAX_SHARED_GROUPS\``);
    expect(limits).toContain(`at most ${MAX_SHARED_GROUPS} shared groups`);
    expect(limits).toContain(`\`POLICY_BUDGET_BYTES\` = ${POLICY_BUDGET_BYTES.toLocaleString('en-US')} bytes`);
    expect(limits).toContain(`${PREFIX_BOUND_BYTES}-byte ARN prefix`);
    expect(limits).toContain(`format version ${ROUTE_TABLE_VERSION}`);
    expect(limits).toContain(`| ${MAX_POLICY_BYTES.toLocaleString('en-US')} bytes;`);
    expect(limits).toContain(`| ${MAX_TOKEN_LENGTH.toLocaleString('en-US')} characters;`);
    expect(limits).toContain(`Lambda's ${ENVIRONMENT_LIMIT_BYTES / 1024} KB`);
  });
});

/** Orders error codes as the contract lists them (the docs table keeps that order). */
function byContractOrder(a: string, b: string): number {
  return ERROR_REASONS.indexOf(a as (typeof ERROR_REASONS)[number]) - ERROR_REASONS.indexOf(b as (typeof ERROR_REASONS)[number]);
}

describe('the README and docs/ link only to what exists', () => {
  it('keeps the README under 400 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThan(400);
  });

  it('points every relative link at an existing file, and every anchor at a heading there', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target as string)) continue;
        const [path, anchor] = (target as string).split('#') as [string, string | undefined];
        const file = path === '' ? join(root, page) : resolve(join(root, dirname(page)), path);
        if (!existsSync(file)) {
          broken.push(`${page}: ${target} (no such file)`);
          continue;
        }
        if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
          broken.push(`${page}: ${target} (no such heading)`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('links every page in docs/ from the index, docs/README.md', () => {
    const index = read('docs/README.md');
    for (const page of docs.filter((path) => path !== 'docs/README.md')) {
      expect(index, page).toContain(`](${page.slice('docs/'.length)})`);
    }
  });
});
