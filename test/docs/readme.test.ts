import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/environment.js';
import { README_EXAMPLE, snakeCase } from '../jsii/readme-example.js';

const read = (path: string) => readFileSync(resolve(__dirname, '../..', path), 'utf8');
const readme = read('README.md');

describe('the README and docs/ are the tested code and the whole contract', () => {
  it('shows the consumer test app verbatim under "Use in an existing stack"', () => {
    const section = readme.slice(readme.indexOf('## Use in an existing stack'));
    expect(section).toContain(read('test/consumer/app.ts').trim());
  });

  it('lists every prop of PhantomTokenAuthorizerProps in the props table of docs/props.md', () => {
    const source = read('lib/props.ts');
    const body = source.slice(source.indexOf('export interface PhantomTokenAuthorizerProps'));
    const props = [...body.matchAll(/readonly (\w+)\??:/g)].map((match) => match[1] as string);
    expect(props.length).toBeGreaterThan(15);
    const page = read('docs/props.md');
    const table = page.slice(page.indexOf('## `PhantomTokenAuthorizerProps`'), page.indexOf('## Methods and properties'));
    for (const prop of props) expect(table, prop).toContain(`| \`${prop}\` |`);
  });

  it('lists every environment variable of the handler contract in docs/environment.md', () => {
    const table = read('docs/environment.md');
    for (const name of Object.values(ENV)) expect(table, name).toContain(`| \`${name}\` |`);
  });

  it('shows in Python the calls the jsii runtime test makes, in valid Python syntax', () => {
    const section = readme.slice(readme.indexOf('### Python, Java, C# and Go'));
    const python = section.slice(
      section.indexOf('```python\n') + '```python\n'.length,
      section.indexOf('\n```', section.indexOf('```python')),
    );
    const example = README_EXAMPLE;
    const expected = [
      `Stack(app, "${example.stackId}")`,
      ...Object.entries(example.props).map(([prop, value]) => `${snakeCase(prop)}="${value}",`),
      `introspection_response_type=IntrospectionResponseType.${example.introspectionResponseType},`,
      ...Object.entries(example.durations).map(([prop, [factory, amount]]) => `${snakeCase(prop)}=Duration.${factory}(${amount}),`),
      `path="${example.route.path}",`,
      `methods=[HttpMethod.${example.route.method}],`,
      `orders = HttpUrlIntegration(${example.route.integration.map((arg) => `"${arg}"`).join(', ')})`,
      'integration=orders,',
      `methods=[HttpMethod.${example.ownRoute.method}],`,
      'authorizer=phantom_token.http_route_authorizer(api),',
      `scopes=${JSON.stringify(example.route.scopes)},`,
      `phantom_token.require_scopes("${example.requireScopes[0]}", ${JSON.stringify(example.requireScopes[1])})`,
    ];
    for (const fragment of expected) expect(python, fragment).toContain(fragment);
    const parsed = spawnSync('python3', ['-c', 'import ast, sys; ast.parse(sys.stdin.read())'], { input: python, encoding: 'utf8' });
    expect(parsed.stderr).toBe('');
    expect(parsed.status).toBe(0);
  });
});
