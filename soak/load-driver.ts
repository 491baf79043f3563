import http from 'node:http';
import type { Random } from './random.js';
import type { ApiType, RequestRecord, RouteKey } from './records.js';
import type { TokenPopulation } from './token-population.js';

/** A request without an answer by then is lost (API Gateway's own integration limit is 30 s). */
export const CLIENT_DEADLINE_MS = 30_000;

/**
 * The clients: sends requests to the local gateway, each with a token the population picks and a
 * route (`GET /echo` needs `read`, `POST /echo` needs `write`), and records each one: when it was
 * sent, when and what it was answered, or that it was not. Each carries `x-soak-id`, which reaches
 * the authorizer's event, so the oracle can tell which request triggered which invocation.
 */
export class LoadDriver {
  readonly records: RequestRecord[] = [];
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly pending = new Set<Promise<void>>();
  /** Requests sent again after a reset on a reused keep-alive connection (see `exchange`). */
  retries = 0;

  constructor(
    /** The APIs' base URLs: the HTTP API's, and the REST API's stage URL when requests go there too. */
    private readonly urls: { readonly http: string; readonly rest?: string },
    private readonly population: TokenPopulation,
    private readonly random: Random,
    /** Percent of the load sent to the REST API; 0 draws nothing, so the HTTP-only sequence is unchanged. */
    private readonly restPercent = 0,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  send(burst: boolean): void {
    const { label, authorization } = this.population.pick();
    const route: RouteKey = this.random.next() < 0.7 ? 'GET /echo' : 'POST /echo';
    const api: ApiType = this.restPercent > 0 && this.random.next() * 100 < this.restPercent ? 'rest' : 'http';
    this.start({ id: this.records.length, label, route, sentMs: Date.now(), burst, ...(api === 'rest' ? { api } : {}) }, authorization);
  }

  /** One request of the revocation probe: `GET /echo` with the token of `label` on `api`; resolves with its record once answered. */
  async probe(label: string, authorization: string | undefined, api: ApiType): Promise<RequestRecord> {
    const record: RequestRecord = {
      id: this.records.length,
      label,
      route: 'GET /echo',
      sentMs: Date.now(),
      burst: false,
      api,
      probe: true,
    };
    await this.start(record, authorization);
    return record;
  }

  private start(record: RequestRecord, authorization: string | undefined): Promise<void> {
    this.records.push(record);
    const done = this.exchange(record, authorization).finally(() => this.pending.delete(done));
    this.pending.add(done);
    return done;
  }

  /** Waits for every request in flight (each ends by its own deadline). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
    this.agent.destroy();
  }

  /**
   * One exchange. A request that meets a reset on a kept-alive connection before any answer is
   * sent again once on a new connection, as HTTP clients do (RFC 9112 §9.3.1, Node's
   * `request.reusedSocket` advice): the server had closed the idle connection as the request left,
   * so it never saw it. The retry is counted (`retries`); any other failure leaves the request lost.
   */
  private exchange(record: RequestRecord, authorization: string | undefined, started = performance.now(), retry = false): Promise<void> {
    const [method, path] = record.route.split(' ') as [string, string];
    return new Promise((resolve) => {
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error !== undefined) record.error = error.message;
        resolve();
      };
      const headers: Record<string, string> = { 'x-soak-id': String(record.id), 'content-length': '0' };
      if (authorization !== undefined) headers.authorization = authorization;
      const base = record.api === 'rest' ? this.urls.rest : this.urls.http;
      const request = http.request(`${base}${path}`, { method, headers, agent: retry ? false : this.agent });
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${CLIENT_DEADLINE_MS} ms`)), CLIENT_DEADLINE_MS);
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (!settled && !retry && request.reusedSocket && error.code === 'ECONNRESET') {
          settled = true;
          clearTimeout(timer);
          this.retries += 1;
          this.exchange(record, authorization, started, true).then(resolve);
          return;
        }
        settle(error);
      });
      request.on('response', (response) => {
        response.on('error', settle);
        response.resume();
        response.on('end', () => {
          record.receivedMs = Date.now();
          record.latencyMs = performance.now() - started;
          record.status = response.statusCode;
          settle();
        });
      });
      request.end();
    });
  }
}
