import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { AwsRequestError, type Environment } from '../aws/aws-json-client.js';
import { ConfigurationInvalidError, errorCode } from '../errors.js';
import { metricsSettings } from '../observability/emf.js';
import { loadRevocationConfig, type RevocationConfig } from './config.js';
import { readDelivery } from './delivery.js';
import { RevocationUnavailableError, SecurityEventRefusedError, SecurityEventReplayedError } from './errors.js';
import { IssuerKeys } from './issuer-keys.js';
import { ReceiverLog } from './receiver-log.js';
import { RevocationTable } from './revocation-table.js';
import { SET_IAT_WINDOW_SECONDS, SecurityEventVerifier, type TokenRevocation } from './security-event.js';
import { StageFlusher } from './stage-flush.js';

export type RevocationHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

export interface ReceiverOptions {
  /** The clock, milliseconds since the epoch (default `Date.now`). */
  readonly now?: () => number;
  /** The wait between the two flushes (default a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where log lines go (default stdout). */
  readonly write?: (text: string) => void;
}

/**
 * The revocation receiver: RFC 8935 push delivery of RFC 8417 SETs, each naming one revoked access
 * token, marked revoked in the shared cache's table. The environment is read and checked here, once
 * (cold start); a receiver that cannot start answers every delivery 500 and says why in its log.
 *
 * Per delivery: read the POST (delivery.ts) → verify the SET (security-event.ts) → mark the token
 * revoked → record the SET (a replay is refused) → flush the REST stages' authorizer caches, twice
 * (optional) → 202. A refusal is a 400 with RFC 8935's `{"err","description"}`; a table or JWKS
 * that cannot be reached is a 503, so the transmitter delivers again.
 */
export function createRevocationReceiver(env: Environment, options: ReceiverOptions = {}): RevocationHandler {
  const log = new ReceiverLog(metricsSettings(env), options.write);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let parts: ReturnType<typeof start>;
  try {
    parts = start(env);
  } catch (error) {
    const failure =
      error instanceof AwsRequestError && error.name === 'InvalidConfiguration'
        ? new ConfigurationInvalidError(error.message, { cause: error })
        : (error as Error);
    const reason = errorCode(failure);
    log.startupFailure({ reason, message: failure.message });
    return async () => {
      log.delivery({ revocation: 'error', reason, status: 500, message: failure.message });
      return json(500, { description: 'the revocation receiver is misconfigured; its log says why' });
    };
  }
  const { config, verifier, table, flusher } = parts;

  return async (event) => {
    const started = performance.now();
    let revocation: TokenRevocation | undefined;
    try {
      const set = readDelivery(event);
      revocation = await verifier.verify(set, now());
      // Mark first, then record the SET. Marking is idempotent, so a delivery whose record failed
      // (503) is marked again when the transmitter retries, and then recorded. The other order would
      // record the SET before the mark: a mark that then failed would leave a retry refused as a
      // duplicate and the token unmarked. All a replay can do this way is re-mark a token its issuer
      // revoked within SET_IAT_WINDOW_SECONDS, moving the mark's expiry later by as much, before it
      // is refused.
      await table.markRevoked(revocation.tokenHash, now());
      if (!(await table.claimSecurityEvent(revocation.setHash, revocation.iat, SET_IAT_WINDOW_SECONDS))) {
        throw new SecurityEventReplayedError();
      }
      const flushFailures = flusher === undefined ? undefined : await flushTwice(flusher, config, sleep, log);
      log.delivery({
        revocation: 'marked',
        reason: 'ok',
        status: 202,
        tokenHash: revocation.tokenHash,
        setHash: revocation.setHash,
        flushFailures,
        totalMs: elapsed(started),
      });
      return { statusCode: 202, body: '' };
    } catch (error) {
      const ids = { tokenHash: revocation?.tokenHash, setHash: revocation?.setHash, totalMs: elapsed(started) };
      if (error instanceof SecurityEventRefusedError) {
        log.delivery({
          revocation: 'refused',
          reason: error instanceof SecurityEventReplayedError ? 'duplicate' : error.err,
          status: error.status,
          message: error.message,
          ...ids,
        });
        return json(error.status, { err: error.err, description: error.message }, error.status === 405 ? { allow: 'POST' } : {});
      }
      const reason = errorCode(error);
      log.delivery({
        revocation: 'error',
        reason,
        status: error instanceof RevocationUnavailableError ? 503 : 500,
        message: (error as Error).message,
        ...ids,
      });
      if (error instanceof RevocationUnavailableError) {
        const retryAfter: Record<string, string> =
          error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(error.retryAfterSeconds) };
        return json(503, { description: 'the SET could not be verified or recorded now; deliver it again' }, retryAfter);
      }
      return json(500, { description: 'the revocation receiver failed; deliver the SET again' });
    }
  };
}

/** Everything made once per instance; throws on a configuration it cannot use. */
function start(env: Environment) {
  const config = loadRevocationConfig(env);
  return {
    config,
    verifier: new SecurityEventVerifier(config.issuer, config.audience, new IssuerKeys(config.jwksUri, config.timeoutMs)),
    table: new RevocationTable(config.table, config.timeoutMs, env),
    flusher: config.flushStages.length === 0 ? undefined : new StageFlusher(config.flushStages, config.timeoutMs, env),
  };
}

/**
 * Flushes every stage, waits `flushRepeatSeconds`, flushes again (0: once): an instance that read
 * its memory just before the mark reached the table may have answered, and API Gateway cached
 * that answer, after the first flush. A failed flush is a warning line and a `StageFlushFailures`
 * metric, never a failed delivery: the mark is what counts, and a transmitter's retry would be
 * refused as a duplicate anyway. Returns how many flushes failed.
 */
async function flushTwice(
  flusher: StageFlusher,
  config: RevocationConfig,
  sleep: (ms: number) => Promise<void>,
  log: ReceiverLog,
): Promise<number> {
  let failures = 0;
  const rounds = config.flushRepeatSeconds > 0 ? 2 : 1;
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) await sleep(config.flushRepeatSeconds * 1000);
    for (const failure of await flusher.flushAll()) {
      failures++;
      log.flushFailure({ warning: failure.code, message: failure.message });
    }
  }
  return failures;
}

function json(statusCode: number, body: object, headers: Record<string, string> = {}): LambdaFunctionURLResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
