import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_TABLES, regeneratedPages, renderInterfaceTable, withTable } from '../../scripts/docs-reference.js';

const read = (path: string) => readFileSync(resolve(__dirname, '../..', path), 'utf8');

describe('the reference tables in docs/ are generated from the code', () => {
  it('matches what scripts/docs-reference.ts generates from lib/ and lambda/environment.ts now', () => {
    for (const [page, expected] of regeneratedPages()) {
      expect(read(page) === expected, `${page} differs from the code: run npx tsx scripts/docs-reference.ts`).toBe(true);
    }
  });

  it('generates a table for each public props interface and the environment', () => {
    expect(GENERATED_TABLES.map((table) => table.id)).toEqual([
      'PhantomTokenAuthorizerProps',
      'PhantomTokenAlarmThresholds',
      'PhantomTokenHttpRouteOptions',
      'PhantomTokenRestMethodOptions',
      'SharedCacheOptions',
      'RevocationOptions',
      'ENV',
      'REVOCATION_ENV',
    ]);
  });

  it('renders a prop added to the source, with its type, default and doc comment', () => {
    const source = `export interface Props {
  /**
   * How long, in seconds. See {@link Other}.
   * @default Duration.seconds(5)
   */
  readonly wait?: Duration;
  /** The name | the label. */
  readonly name: string;
}`;
    const table = renderInterfaceTable(source, 'props.ts', 'Props');
    expect(table).toContain('| `wait` | `Duration` | `Duration.seconds(5)` | How long, in seconds. See `Other`. |');
    expect(table).toContain('| `name` | `string` | required | The name \\| the label. |');
  });

  it('refuses a prop without a doc comment, naming it', () => {
    expect(() => renderInterfaceTable('export interface Props {\n  readonly bare?: string;\n}', 'props.ts', 'Props')).toThrow(
      'props.ts: Props.bare has no doc comment',
    );
  });

  it('refuses a page without the markers of its table, naming both', () => {
    expect(() => withTable('# no markers', 'docs/x.md', 'ENV', '| table |')).toThrow('docs/x.md lacks the markers');
  });
});
