import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/**
 * The consumer test: pack this package, install the tarball into a fresh TypeScript CDK app that
 * has nothing else but aws-cdk-lib, constructs and aws-cdk (no esbuild, no Docker), synthesize it
 * offline, and check the template. Also type-check and bundle a backend handler that imports the
 * helper entry, proving aws-cdk-lib stays out of its bundle. Exits non-zero on any failure.
 */
async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const work = mkdtempSync(join(tmpdir(), 'phantom-consumer-'));
  const say = (line: string) => process.stdout.write(`consumer test: ${line}\n`);
  const run = (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
    execFileSync(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  function check(condition: boolean, message: string): void {
    if (!condition) throw new Error(`consumer test failed: ${message}`);
    say(`ok - ${message}`);
  }

  try {
    // 1. The tarball (prepack runs `npm run build`).
    const packOutput = run('npm', ['pack', '--json', '--pack-destination', work], root);
    const packed = JSON.parse(packOutput.slice(packOutput.search(/^\[/m))) as {
      filename: string;
      size: number;
      files: { path: string }[];
    }[];
    const tarball = join(work, packed[0]?.filename as string);
    const files = (packed[0]?.files ?? []).map((f) => f.path).sort();
    say(`tarball ${packed[0]?.filename}: ${packed[0]?.size} bytes, ${files.length} files`);
    check(files.includes('assets/authorizer/index.js'), 'the tarball holds the prebuilt authorizer');
    check(files.includes('assets/revocation/index.js'), 'the tarball holds the prebuilt revocation receiver');
    check(files.includes('.jsii'), 'the tarball holds the jsii assembly, for Python, Java, .NET and Go apps');
    check(
      !files.some((f) => /(^|\/)(test|tests|bench|local|bin|scripts)\//.test(f) || /\.test\.|fixtures/.test(f)),
      'the tarball holds no tests, fixtures, benchmarks or tools',
    );
    check(
      !files.some((f) => f.endsWith('.map') && !f.startsWith('assets/authorizer/') && !f.startsWith('assets/revocation/')),
      'the only source maps are the prebuilt bundles’',
    );

    // 2. A fresh CDK app with exactly four packages.
    const app = join(work, 'app');
    run('mkdir', ['-p', app], work);
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const version = (name: string) => lock.packages[`node_modules/${name}`]?.version as string;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true }, null, 2));
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        `aws-cdk-lib@${version('aws-cdk-lib')}`,
        `constructs@${version('constructs')}`,
        `aws-cdk@${version('aws-cdk')}`,
        tarball,
      ],
      app,
    );
    const installed = readdirSync(join(app, 'node_modules'));
    check(!installed.includes('esbuild') && !existsSync(join(app, 'node_modules/.bin/esbuild')), 'the app has no esbuild');
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    check(
      Object.keys(manifest.dependencies).sort().join(',') === 'aws-cdk,aws-cdk-lib,cdk-phantom-token,constructs',
      'the app depends on aws-cdk-lib, constructs, aws-cdk and the tarball only',
    );

    // 3. The app and a backend handler, in TypeScript (the README's "Use in an existing stack" code).
    copyFileSync(join(root, 'test/consumer/app.ts'), join(app, 'app.ts'));
    copyFileSync(join(root, 'test/consumer/backend.ts'), join(app, 'backend.ts'));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['app.ts', 'backend.ts'],
      }),
    );
    run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], app);
    check(
      existsSync(join(app, 'app.js')) && existsSync(join(app, 'backend.js')),
      'app.ts and backend.ts type-check against the installed package',
    );

    // 4. Synthesize offline, no credentials, and with Docker unusable.
    writeFileSync(join(app, 'cdk.json'), JSON.stringify({ app: 'node app.js' }));
    const env = { PATH: process.env.PATH, HOME: work, CDK_DOCKER: '/bin/false', AWS_EC2_METADATA_DISABLED: 'true' };
    run(join(app, 'node_modules/.bin/cdk'), ['synth', '--quiet', '--no-notices', '--no-version-reporting'], app, env);
    const template = JSON.parse(readFileSync(join(app, 'cdk.out/OrdersApi.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const resources = Object.values(template.Resources);
    const authorizer = resources.find((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
    check(
      authorizer?.Properties.AuthorizerType === 'REQUEST' &&
        authorizer.Properties.EnableSimpleResponses === false &&
        authorizer.Properties.AuthorizerPayloadFormatVersion === '2.0',
      'the template has the REQUEST authorizer answering with policies (payload 2.0), one answer per token across routes',
    );
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function');
    if (fn === undefined) throw new Error('consumer test failed: no Lambda function in the template');
    const assetHash = String((fn.Properties.Code as { S3Key: string }).S3Key).replace(/\.zip$/, '');
    const assetDir = join(app, 'cdk.out', `asset.${assetHash}`);
    check(
      fn?.Properties.Handler === 'index.handler' && fn.Properties.Runtime === 'nodejs24.x',
      'the function runs index.handler on nodejs24.x',
    );
    check(
      readFileSync(join(assetDir, 'index.js'), 'utf8') === readFileSync(join(root, 'assets/authorizer/index.js'), 'utf8'),
      'its asset is the prebuilt authorizer, byte for byte',
    );
    const integration = resources.find((r) => r.Type === 'AWS::ApiGatewayV2::Integration');
    check(
      JSON.stringify(integration?.Properties.RequestParameters) ===
        JSON.stringify({ 'overwrite:header.x-phantom-jwt': '$context.authorizer.jwt' }),
      'the HTTP integration maps the JWT into x-phantom-jwt',
    );
    const environment = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    const layer = resources.find((r) => r.Type === 'AWS::Lambda::LayerVersion');
    const layerDir = join(
      app,
      'cdk.out',
      `asset.${String((layer?.Properties.Content as { S3Key: string } | undefined)?.S3Key).replace(/\.zip$/, '')}`,
    );
    const tablePath = join(layerDir, environment.ROUTE_TABLE_FILE?.replace(/^\/opt\//, '') ?? 'none');
    const table = existsSync(tablePath)
      ? (JSON.parse(readFileSync(tablePath, 'utf8')) as { routes: { routeKey: string; scopes: string[] }[] })
      : undefined;
    check(
      JSON.stringify(table?.routes.map(({ routeKey, scopes }) => [routeKey, scopes])) ===
        JSON.stringify([['GET /orders', ['orders:read']]]),
      'the scoped route reaches the route table the function reads (ROUTE_TABLE_FILE, in its layer)',
    );

    // 5. The backend helper's bundle has no aws-cdk-lib in it.
    const bundled = await build({
      entryPoints: [join(app, 'backend.js')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minify: true,
      write: false,
      metafile: true,
      absWorkingDir: app,
      logLevel: 'error',
    });
    const inputs = Object.keys(bundled.metafile.inputs);
    check(
      !inputs.some((input) => input.includes('aws-cdk-lib') || input.includes('constructs')),
      `the backend helper bundle pulls in neither aws-cdk-lib nor constructs (${inputs.length} inputs)`,
    );
    say(`backend handler bundled with the helper: ${bundled.outputFiles[0]?.contents.length} bytes minified`);
    say(`authorizer asset: ${statSync(join(assetDir, 'index.js')).size} bytes`);
    say('passed');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// An async main, not top-level await: the project is CommonJS (the jsii-compiled library is).
main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
