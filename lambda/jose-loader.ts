/**
 * jose, loaded on first use instead of at module load. The default `application/jwt` mode never
 * verifies a signature, so its cold start does not pay for evaluating jose; a mode that does
 * (RFC 9701 responses) calls `loadJose()` when it is configured, at cold start. The bundle keeps
 * only what jose-functions.ts re-exports (esbuild tree-shakes a static re-export, not a
 * dynamically imported package); the import stays in the one bundle, evaluated when first asked
 * for. Types come from `import type … from 'jose'`, which costs nothing at run time.
 */
export type Jose = typeof import('./jose-functions.js');

let loading: Promise<Jose> | undefined;

/** jose's functions; evaluated once per instance, on the first call. */
export function loadJose(): Promise<Jose> {
  loading ??= import('./jose-functions.js');
  return loading;
}
