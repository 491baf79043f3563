import { format } from 'node:util';
import { DIMENSIONS, METRICS } from '../../lambda/observability/metrics-contract.js';
import { emfProblems } from '../../local/emf-validator.js';

/**
 * Captures everything this test process prints (process.stdout / stderr and console), so a test
 * file can prove that no token, JWT or client secret reached a log line. Captured output is
 * printed through as well when DEBUG_LOGS is set.
 */
const chunks: string[] = [];
const secrets = new Set<string>();
const passThrough = process.env.DEBUG_LOGS !== undefined;

for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return passThrough ? write(chunk, ...(rest as [])) : true;
  }) as typeof stream.write;
}
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    chunks.push(`${format(...args)}\n`);
    if (passThrough) original(...args);
  };
}

export function capturedOutput(): string {
  return chunks.join('');
}

/**
 * The JSON decision lines printed so far (and resets nothing), as their decision fields: the
 * members a line carries as a CloudWatch EMF record (`service`, the counters, `_aws`) are left out
 * here and read with {@link emfLines}. The authorizer writes its line just after handing back the
 * decision, before the event loop moves on: wait for that first.
 */
export function decisionLines(): Promise<Record<string, unknown>[]> {
  return jsonLines('{"outcome"');
}

/** The JSON warning lines printed so far (lines that are not decisions), as `decisionLines`. */
export function warningLines(): Promise<Record<string, unknown>[]> {
  return jsonLines('{"warning"');
}

/** The decision lines printed by this moment, without waiting for any still to be written. */
export function decisionLinesNow(): Record<string, unknown>[] {
  return jsonLinesNow('{"outcome"');
}

async function jsonLines(start: string): Promise<Record<string, unknown>[]> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return jsonLinesNow(start);
}

/** The members an EMF record adds to a decision or warning line (the timings are decision fields too). */
const EMF_MEMBERS = new Set<string>([DIMENSIONS.service, METRICS.decisions, METRICS.coldStart, METRICS.secretReadFailures, '_aws']);

function jsonLinesNow(start: string): Record<string, unknown>[] {
  return capturedOutput()
    .split('\n')
    .filter((line) => line.startsWith(start))
    .map((line) => Object.fromEntries(Object.entries(JSON.parse(line) as object).filter(([key]) => !EMF_MEMBERS.has(key))));
}

/**
 * The text of every decision and warning line printed so far, whole: what CloudWatch Logs
 * receives and extracts metrics from (waits for the lines of this turn, as `decisionLines`).
 */
export async function emfLines(): Promise<string[]> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  return capturedOutput()
    .split('\n')
    .filter((line) => line.startsWith('{"outcome"') || line.startsWith('{"warning"'));
}

/**
 * The decision lines once there are more than `count`: a function run in a child process prints
 * over a pipe of its own, which is not ordered with its response (as in Lambda). Gives up after
 * `timeoutMs` and returns what there is.
 */
export async function decisionLinesAfter(count: number, timeoutMs = 2_000): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + timeoutMs;
  let lines = await decisionLines();
  while (lines.length <= count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    lines = await decisionLines();
  }
  return lines;
}

/**
 * What is wrong with the decision, warning and revocation receiver lines printed so far as CloudWatch EMF records: a
 * line that carries `_aws` must be a valid record, and every decision line must carry it, but for
 * the one line of an authorizer that cannot start (a configuration error, which decides nothing).
 * Each problem names the line by its reason or warning code, never by its text.
 */
export function emfLineProblems(output: string = capturedOutput()): string[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{"outcome"') || line.startsWith('{"warning"') || line.startsWith('{"revocation"'))
    .flatMap((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      const name = `${String(parsed.reason ?? parsed.warning ?? parsed.revocation)} line`;
      if ('_aws' in parsed) return emfProblems(line).map((problem) => `${name}: ${problem}`);
      const startupFailure = parsed.outcome === 'error' && parsed.reason === 'ERR_CONFIGURATION_INVALID' && 'message' in parsed;
      return 'outcome' in parsed && !startupFailure ? [`${name}: a decision line without _aws`] : [];
    });
}

/** Registers a value that must never be printed: a token, a JWT, a client secret. */
export function rememberSecret(value: string): string {
  if (value.length >= 8) secrets.add(value);
  return value;
}

export function rememberedSecrets(): ReadonlySet<string> {
  return secrets;
}

/** The remembered values that occur in the output, described by length only (never printed). */
export function leakedSecrets(output: string, values: Iterable<string>): string[] {
  return [...values].filter((value) => output.includes(value)).map((value) => `${value.length} chars`);
}
