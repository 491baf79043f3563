import type { Template } from 'aws-cdk-lib/assertions';

/** A metric a template's alarm or dashboard reads, as CloudWatch identifies it. */
export interface TemplateMetric {
  readonly namespace: string;
  readonly name: string;
  /** Dimension name → value; a value the template computes at deploy time reads `<token>`. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: string;
}

interface AlarmProperties {
  Namespace?: string;
  MetricName?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Metrics?: {
    Expression?: string;
    MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] }; Stat: string };
  }[];
  Threshold?: number;
}

/** Every alarm of the template with the metrics it reads (one for a plain alarm, several for metric math). */
export function templateAlarms(
  template: Template,
): { id: string; threshold: number | undefined; expression?: string; metrics: TemplateMetric[] }[] {
  return Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, resource]) => {
    const alarm = (resource as { Properties: AlarmProperties }).Properties;
    if (alarm.MetricName !== undefined) {
      return {
        id,
        threshold: alarm.Threshold,
        metrics: [
          {
            namespace: alarm.Namespace as string,
            name: alarm.MetricName,
            dimensions: dimensionMap(alarm.Dimensions),
            stat: alarm.ExtendedStatistic ?? (alarm.Statistic as string),
          },
        ],
      };
    }
    const metrics = (alarm.Metrics ?? []).flatMap(({ MetricStat }) =>
      MetricStat === undefined
        ? []
        : [
            {
              namespace: MetricStat.Metric.Namespace,
              name: MetricStat.Metric.MetricName,
              dimensions: dimensionMap(MetricStat.Metric.Dimensions),
              stat: MetricStat.Stat,
            },
          ],
    );
    const expression = (alarm.Metrics ?? []).find((metric) => metric.Expression !== undefined)?.Expression;
    return { id, threshold: alarm.Threshold, ...(expression === undefined ? {} : { expression }), metrics };
  });
}

/**
 * Every metric the template's dashboards graph. A dashboard body is a JSON document that the
 * template joins from strings and deploy-time values (`Fn::Join`); those values read `<token>`.
 */
export function dashboardMetrics(template: Template): TemplateMetric[] {
  return Object.values(template.findResources('AWS::CloudWatch::Dashboard')).flatMap((resource) => {
    const body = (resource as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody;
    const text =
      typeof body === 'string'
        ? body
        : (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1]
            .map((part) => (typeof part === 'string' ? part : '<token>'))
            .join('');
    const widgets = (JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] }).widgets;
    return widgets.flatMap((widget) =>
      (widget.properties.metrics ?? []).flatMap((row) => {
        // A metric row: namespace, name, dimension name and value pairs, then an options object;
        // a math expression row is an options object alone. `"."` repeats the row above (CDK does not write it).
        if (typeof row[0] !== 'string') return [];
        const options = (typeof row.at(-1) === 'object' ? row.at(-1) : {}) as { stat?: string };
        const strings = row.filter((cell): cell is string => typeof cell === 'string');
        const [namespace, name, ...pairs] = strings;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
        return [{ namespace: namespace as string, name: name as string, dimensions, stat: options.stat ?? 'Average' }];
      }),
    );
  });
}

function dimensionMap(dimensions: { Name: string; Value: unknown }[] | undefined): Record<string, string> {
  return Object.fromEntries((dimensions ?? []).map(({ Name, Value }) => [Name, typeof Value === 'string' ? Value : '<token>']));
}
