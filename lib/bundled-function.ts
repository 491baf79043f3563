import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Code, type FunctionProps, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { AUTHORIZER_BUNDLE } from './bundle-settings.js';

/** One of the package's functions: its TypeScript entry in this repository and its prebuilt asset in the package. */
export interface BundledEntry {
  /** The handler's source, relative to the repository root (`lambda/handler.ts`); exports `handler`. */
  readonly source: string;
  /** The directory under `assets/` that `npm run build` bundles it into (`authorizer`), holding `index.js`. */
  readonly asset: string;
  /** What the function is, for the message when the package was not built. */
  readonly name: string;
}

/** The authorizer: lambda/handler.ts, prebuilt in assets/authorizer/. */
export const AUTHORIZER_ENTRY: BundledEntry = { source: 'lambda/handler.ts', asset: 'authorizer', name: 'authorizer' };

/** The revocation receiver: lambda/revocation/handler.ts, prebuilt in assets/revocation/. */
export const REVOCATION_RECEIVER_ENTRY: BundledEntry = {
  source: 'lambda/revocation/handler.ts',
  asset: 'revocation',
  name: 'revocation receiver',
};

/** Function props without the code and handler, which `bundledFunction` sets. */
export type BundledFunctionProps = Omit<FunctionProps, 'code' | 'handler'>;

/**
 * A function of this package, bundled the one way every function of it is
 * (lib/bundle-settings.ts): from its TypeScript source by the project's own esbuild when the
 * construct runs from this repository's sources (tests, sample app, local flow), else from the
 * asset `npm run build` made (a published package has no sources).
 */
export function bundledFunction(scope: Construct, id: string, entry: BundledEntry, props: BundledFunctionProps): LambdaFunction {
  const source = handlerSource(entry);
  if (source === undefined)
    return new LambdaFunction(scope, id, { ...props, code: prebuiltCode(prebuiltAsset(entry)), handler: 'index.handler' });
  return new NodejsFunction(scope, id, {
    ...props,
    entry: source,
    handler: 'handler',
    bundling: {
      target: AUTHORIZER_BUNDLE.target,
      format: OutputFormat.CJS,
      minify: AUTHORIZER_BUNDLE.minify,
      // The map stays out of the deployed asset (see AUTHORIZER_BUNDLE.sourcemap): a stack
      // is decoded offline with the map of `npm run build`, the same esbuild settings.
      sourceMap: false,
      mainFields: [...AUTHORIZER_BUNDLE.mainFields],
      externalModules: [...AUTHORIZER_BUNDLE.external],
      forceDockerBundling: false,
    },
  });
}

// The package is CommonJS (jsii emits CommonJS), so the module's own directory is __dirname.
const here = __dirname;

/** The handler's TypeScript source when this construct runs from this repository's sources (lib/, not dist/lib/). */
function handlerSource(entry: BundledEntry): string | undefined {
  const path = join(here, '..', entry.source);
  return existsSync(path) ? path : undefined;
}

/** The function bundled at package build time (`npm run build`), shipped inside the package. */
function prebuiltAsset(entry: BundledEntry): string {
  const dir = join(here, '..', '..', 'assets', entry.asset);
  if (!existsSync(join(dir, 'index.js'))) {
    throw new Error(`the prebuilt ${entry.name} is missing from ${dir}: the package was not built with "npm run build"`);
  }
  return dir;
}

/**
 * The prebuilt directory as the function's code, without its source map: the package keeps the
 * map beside the bundle for decoding stacks offline, but loading it with --enable-source-maps
 * would add to every cold start (README, "Stack traces").
 */
export function prebuiltCode(dir: string): Code {
  return Code.fromAsset(dir, { exclude: ['*.map'] });
}
