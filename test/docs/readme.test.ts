import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/environment.js';

const read = (path: string) => readFileSync(resolve(__dirname, '../..', path), 'utf8');
const readme = read('README.md');

describe('the README is the tested code and the whole contract', () => {
  it('shows the consumer test app verbatim under "Use in an existing stack"', () => {
    const section = readme.slice(readme.indexOf('## Use in an existing stack'));
    expect(section).toContain(read('test/consumer/app.ts').trim());
  });

  it('lists every prop of PhantomTokenAuthorizerProps in the props table', () => {
    const source = read('lib/props.ts');
    const body = source.slice(source.indexOf('export interface PhantomTokenAuthorizerProps'));
    const props = [...body.matchAll(/readonly (\w+)\??:/g)].map((match) => match[1] as string);
    expect(props.length).toBeGreaterThan(15);
    const table = readme.slice(readme.indexOf('## Props'), readme.indexOf('## Delivering the JWT'));
    for (const prop of props) expect(table, prop).toContain(`\`${prop}\``);
  });

  it('lists every environment variable of the handler contract', () => {
    const table = readme.slice(readme.indexOf("## The handler's environment contract"), readme.indexOf('## Security model'));
    for (const name of Object.values(ENV)) expect(table, name).toContain(`\`${name}\``);
  });
});
