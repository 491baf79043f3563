import type { MetricsSettings } from '../observability/emf.js';

/**
 * The receiver's log: one JSON line per delivery, and a warning line per stage that could not be
 * flushed; both CloudWatch embedded metric format records, in the authorizer's namespace and
 * `service`. Fields are chosen, never copied from the request: no SET, no token, no key. A token is
 * named by `tokenId` and a SET by `setId`, the first 12 hex characters of their SHA-256.
 */
export interface DeliveryLogLine {
  /** `marked` (202), `refused` (400, 405) or `error` (5xx). */
  revocation: 'marked' | 'refused' | 'error';
  /** `ok`, an RFC 8935 error code, `duplicate` (a SET received before), or an error code (`ERR_…`). */
  reason: string;
  status: number;
  /** SHA-256 of the revoked token, base64url; printed only as `tokenId`. */
  tokenHash?: string | undefined;
  /** SHA-256 of `"<iss> <jti>"`, base64url; printed only as `setId`. */
  setHash?: string | undefined;
  /** Stages whose authorizer cache could not be flushed (each has its warning line). */
  flushFailures?: number | undefined;
  totalMs?: number | undefined;
  /** What was refused or failed: names rules, claims and hosts, never the SET or a credential. */
  message?: string | undefined;
}

export interface ReceiverWarningLine {
  warning: string;
  message: string;
}

/** Metric names of the receiver's lines. */
export const RECEIVER_METRICS = {
  /** Count, 1 per delivery; by `service` and `revocation` (outcome), and by `service` and `reason`. */
  deliveries: 'RevocationDeliveries',
  /** Milliseconds from the delivery's start to the answer; by `service`. */
  totalMs: 'totalMs',
  /** Count, 1 per stage that could not be flushed; by `service`. */
  stageFlushFailures: 'StageFlushFailures',
} as const;

export class ReceiverLog {
  constructor(
    private readonly settings: MetricsSettings,
    private readonly write: (text: string) => void = (text) => process.stdout.write(text),
  ) {}

  delivery({ tokenHash, setHash, ...fields }: DeliveryLogLine): void {
    const { namespace, service } = this.settings;
    const line = {
      ...fields,
      ...(tokenHash === undefined ? {} : { tokenId: shortId(tokenHash) }),
      ...(setHash === undefined ? {} : { setId: shortId(setHash) }),
      service,
      [RECEIVER_METRICS.deliveries]: 1,
    };
    const metrics = [
      {
        Namespace: namespace,
        Dimensions: [
          ['service', 'revocation'],
          ['service', 'reason'],
        ],
        Metrics: [{ Name: RECEIVER_METRICS.deliveries, Unit: 'Count' }],
      },
      ...(typeof fields.totalMs === 'number'
        ? [{ Namespace: namespace, Dimensions: [['service']], Metrics: [{ Name: RECEIVER_METRICS.totalMs, Unit: 'Milliseconds' }] }]
        : []),
    ];
    this.print({ ...line, _aws: { Timestamp: Date.now(), CloudWatchMetrics: metrics } });
  }

  /** A stage whose cache could not be flushed: a warning with `StageFlushFailures`. */
  flushFailure(line: ReceiverWarningLine): void {
    const { namespace, service } = this.settings;
    this.print({
      ...line,
      service,
      [RECEIVER_METRICS.stageFlushFailures]: 1,
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: namespace, Dimensions: [['service']], Metrics: [{ Name: RECEIVER_METRICS.stageFlushFailures, Unit: 'Count' }] },
        ],
      },
    });
  }

  /** The line of a receiver that cannot start, once, at cold start: no metrics (it received nothing). */
  startupFailure(line: Pick<DeliveryLogLine, 'reason' | 'message'>): void {
    this.print({ revocation: 'error', ...line });
  }

  private print(line: object): void {
    this.write(`${JSON.stringify(line)}\n`);
  }
}

/** 8 base64url characters are the hash's first 6 bytes: 12 hex characters. */
function shortId(hash: string): string {
  return Buffer.from(hash.slice(0, 8), 'base64url').toString('hex');
}
