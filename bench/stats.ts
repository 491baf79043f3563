/** Median and spread of a sample, in the sample's unit. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p1: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

/** Percentiles are named only for samples large enough to have them: below this, p1 and p99 are the min and max. */
export const PERCENTILE_MIN_SAMPLES = 100;

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return { n: sorted.length, median: at(0.5), p1: at(0.01), p99: at(0.99), min: sorted[0] as number, max: sorted.at(-1) as number };
}

/** `median … (p1 …, p99 …, min …, max …; n=…)`; for fewer than 100 samples only `(min …, max …; n=…)`. */
export function formatSummary(summary: Summary, unit: string, digits = 1): string {
  const f = (v: number) => v.toFixed(digits);
  const percentiles = summary.n >= PERCENTILE_MIN_SAMPLES ? `p1 ${f(summary.p1)}, p99 ${f(summary.p99)}, ` : '';
  return `median ${f(summary.median)} ${unit} (${percentiles}min ${f(summary.min)}, max ${f(summary.max)}; n=${summary.n})`;
}
