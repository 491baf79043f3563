import type { RequestPresentation } from '../authorizer-event.js';
import { normalizeHtu } from './dpop-proof.js';

/** A host as API Gateway reports it: a DNS name or IPv4 address, or a bracketed IPv6 one, with an optional port. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const LOOPBACK = /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?$/i;

/**
 * The URL the client called, as a DPoP proof's `htu` must name it (normalized): the public base
 * URL configured for the event's domain (`DPOP_PUBLIC_BASE_URLS`, for custom domains whose
 * base-path mapping the event's path leaves out), else `https://` + the domain, followed by the
 * event's path. Plain `http://` only for a loopback domain (the local gateway). `undefined` when
 * the event does not tell the domain or the path, or they are not shaped as such. A function
 * serves few URLs: each one's answer is remembered (bounded, oldest out first).
 */
export class ExpectedHtu {
  private readonly recent = new Map<string, string | undefined>();

  constructor(private readonly publicBaseUrls: ReadonlyMap<string, string>) {}

  of(presentation: RequestPresentation): string | undefined {
    const { domainName, path } = presentation;
    if (domainName === undefined || path === undefined) return undefined;
    const key = `${domainName}\n${path}`;
    if (this.recent.has(key)) return this.recent.get(key);
    const htu = buildHtu(domainName, path, this.publicBaseUrls);
    if (this.recent.size >= MAX_RECENT) this.recent.delete(this.recent.keys().next().value as string);
    this.recent.set(key, htu);
    return htu;
  }
}

const MAX_RECENT = 1_000;

function buildHtu(domainName: string, path: string, publicBaseUrls: ReadonlyMap<string, string>): string | undefined {
  if (!HOST.test(domainName)) return undefined;
  if (!path.startsWith('/') || path.startsWith('//') || /[?#\s]/.test(path)) return undefined;
  const base = publicBaseUrls.get(domainName.toLowerCase()) ?? `${LOOPBACK.test(domainName) ? 'http' : 'https'}://${domainName}`;
  return normalizeHtu(`${base.replace(/\/+$/, '')}${path}`);
}
