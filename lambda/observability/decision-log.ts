import { EmfFormatter, type MetricsSettings, metricsSettings } from './emf.js';

/**
 * One JSON line per invocation. Fields are chosen, never copied from the request: no token, JWT,
 * `Authorization` header or client secret can reach it. A token is named by `tokenId`, the first
 * 12 hex characters of its SHA-256. The line is also a CloudWatch embedded metric format record
 * (`emf.ts`): its outcome, reason, cache outcome and timings become metrics, with no second write.
 */
export interface DecisionLogLine {
  outcome: 'allow' | 'deny' | 'error';
  /**
   * `ok`, a deny reason (`missing`, `malformed` …, `inactive`, `insufficient_scope`: `DENY_REASONS`
   * in `metrics-contract.ts`), or an error code (`ERROR_REASONS`).
   */
  reason: string;
  routeKey?: string | undefined;
  cache?: 'hit' | 'miss' | 'negative' | undefined;
  introspectionMs?: number | undefined;
  totalMs?: number;
  /** The token's SHA-256 in base64url (the cache key); printed only as `tokenId`, its first 12 hex characters. */
  tokenHash?: string | undefined;
  /** For errors: the error's message, which names hosts, statuses and rules, never credentials. */
  message?: string;
  /**
   * With a shared cache, on a memory miss: what the table held (`hit`, `negative`, `revoked`, `miss`,
   * `invalid`: an item this code did not write), `unavailable` (failed or late: the OAuth server was
   * asked), or `joined` (another request of this instance was already looking the token up).
   */
  sharedCache?: 'hit' | 'negative' | 'revoked' | 'miss' | 'invalid' | 'unavailable' | 'joined' | undefined;
  sharedCacheMs?: number | undefined;
  /** After an introspection: whether its answer reached the table. */
  sharedCacheWrite?: 'written' | 'failed' | undefined;
  sharedCacheWriteMs?: number | undefined;
  /** Why the table was unavailable or the write failed: names the table and AWS's error type, never a token. */
  sharedCacheError?: string | undefined;
}

/**
 * Writes the line once the decision has been handed back: on `process.nextTick`, which runs after
 * the promise reactions of this turn, in which the Lambda runtime posts the answer, and before the
 * event loop moves on. API Gateway does not wait for the write. The runtime's next-event request is
 * a worker thread's HTTP call, started in those same reactions by the current runtime interface
 * client (older ones started it from setImmediate, after the line), so the line is written
 * microseconds after the answer while that request is under way; Lambda freezes the environment
 * only after the request has arrived; a line caught by a freeze is written on the thaw (lost only if
 * the environment is never thawed).
 */
export function writeDecisionLog(line: DecisionLogLine): void {
  defaultLog.writeDecisionLog(line);
}

/**
 * The line an authorizer that cannot start writes once, at cold start: a decision line's fields,
 * without metrics (it decides nothing; each invocation's line then counts as an error decision).
 */
export function writeStartupFailureLog(line: DecisionLogLine): void {
  process.nextTick(printLine, JSON.stringify(line));
}

function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** The two writers of one authorizer, whose lines are metrics of its namespace and service. */
export interface DecisionLog {
  /** One decision line, an EMF record (see `emf.ts`), written as {@link writeDecisionLog} describes. */
  readonly writeDecisionLog: (line: DecisionLogLine) => void;
  /** One warning line, written like a decision line. */
  readonly writeWarningLog: (line: WarningLogLine) => void;
}

export function decisionLog(settings: MetricsSettings): DecisionLog {
  const emf = new EmfFormatter(settings);
  const writeDecision = ({ tokenHash, ...fields }: DecisionLogLine) =>
    // 8 base64url characters are the hash's first 6 bytes: 12 hex characters.
    printLine(
      emf.decision(
        tokenHash === undefined ? fields : { ...fields, tokenId: Buffer.from(tokenHash.slice(0, 8), 'base64url').toString('hex') },
      ),
    );
  const writeWarning = (line: WarningLogLine) => printLine(emf.warning(line));
  return {
    writeDecisionLog: (line) => process.nextTick(writeDecision, line),
    writeWarningLog: (line) => process.nextTick(writeWarning, line),
  };
}

/**
 * A line that is not a decision: something an operator should act on that did not change one
 * (today, a failed scheduled re-read of the client credentials). Written like a decision line.
 */
export interface WarningLogLine {
  /** An error code, as in a decision line's `reason`. */
  warning: string;
  /** What happened and what the authorizer does about it; names hosts, secrets and rules, never credentials. */
  message: string;
}

/** The writers with the default namespace and service, for lines written outside an authorizer. */
const defaultLog = decisionLog(metricsSettings({}));

export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
