import { emfProblems, extractMetrics } from './emf-validator.js';

/**
 * The numbers CloudWatch would draw from the functions' EMF lines, counted locally: `npm start`
 * feeds it every line the functions print and prints one summary line per interval. It reads the
 * records as CloudWatch does (`extractMetrics`: each metric once per dimension set), not the
 * decision fields, so what it shows is what the metrics say.
 */
export class MetricsSummary {
  private counts = new Map<string, number>();
  private timings = new Map<string, number[]>();
  private invalid = 0;

  /** Takes one printed line; lines that are not EMF records are ignored, invalid records counted. */
  observe(line: string): void {
    if (!line.startsWith('{') || !line.includes('"_aws"')) return;
    if (emfProblems(line).length > 0) {
      this.invalid += 1;
      return;
    }
    for (const metric of extractMetrics(line)) {
      const dimensions = Object.entries(metric.dimensions).filter(([name]) => name !== 'service');
      if (metric.unit === 'Milliseconds') {
        if (dimensions.length === 0) this.timings.set(metric.name, [...(this.timings.get(metric.name) ?? []), ...metric.values]);
        continue;
      }
      const key = [metric.name, ...dimensions.map(([name, value]) => `${name}=${value}`)].join(' ');
      this.counts.set(key, (this.counts.get(key) ?? 0) + metric.values.reduce((sum, value) => sum + value, 0));
    }
  }

  /** The summary of what was observed since the last call, and a fresh start; `undefined` when nothing was. */
  take(): string | undefined {
    const count = (key: string) => this.counts.get(key) ?? 0;
    const byPrefix = (prefix: string) =>
      [...this.counts]
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, value]) => [key.slice(prefix.length), value] as const)
        .sort(([, a], [, b]) => b - a);
    const decisions = ['allow', 'deny', 'error'].map((outcome) => [outcome, count(`Decisions outcome=${outcome}`)] as const);
    const total = decisions.reduce((sum, [, n]) => sum + n, 0);
    if (total === 0 && this.invalid === 0 && this.counts.size === 0) return undefined;
    const reasons = byPrefix('Decisions reason=');
    const [hit, miss, negative] = ['hit', 'miss', 'negative'].map((cache) => count(`Decisions cache=${cache}`)) as [number, number, number];
    const lookups = hit + miss + negative;
    const parts = [
      `decisions ${total} (${decisions.map(([outcome, n]) => `${outcome} ${n}`).join(', ')})`,
      reasons.length > 0 ? `reasons: ${reasons.map(([reason, n]) => `${reason} ${n}`).join(', ')}` : undefined,
      lookups > 0 ? `cache hit ${Math.round((100 * hit) / lookups)} % (hit ${hit}, miss ${miss}, negative ${negative})` : undefined,
      timing('decision', this.timings.get('totalMs')),
      timing('introspection', this.timings.get('introspectionMs')),
      count('ColdStart') > 0 ? `cold starts ${count('ColdStart')}` : undefined,
      count('SecretReadFailures') > 0 ? `secret read failures ${count('SecretReadFailures')}` : undefined,
      this.invalid > 0 ? `INVALID EMF lines ${this.invalid}` : undefined,
    ];
    this.counts = new Map();
    this.timings = new Map();
    this.invalid = 0;
    return parts.filter((part) => part !== undefined).join(' · ');
  }
}

function timing(name: string, values: number[] | undefined): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return `${name} p50 ${format(at(50))} ms, p99 ${format(at(99))} ms`;
}

function format(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms.toFixed(1);
}
