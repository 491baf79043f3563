/**
 * What the runtime uses of jose, and all that the bundle keeps of it: loaded through
 * `loadJose()` (jose-loader.ts), never imported directly, so that jose is evaluated only when a
 * mode that needs it runs. Add a jose function here before using it.
 */
export { calculateJwkThumbprint, createRemoteJWKSet, customFetch, EmbeddedJWK, jwtVerify } from 'jose';
