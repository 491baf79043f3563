import Ajv from 'ajv';

/**
 * A validator of CloudWatch embedded metric format (EMF) records, written from "Specification:
 * Embedded metric format" (Amazon CloudWatch User Guide,
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
 * and the limits of the CloudWatch API it publishes to (PutMetricData's MetricDatum and Dimension).
 * The structure is a JSON schema (below); what a schema cannot say (references from the directives
 * to members of the root node, and those members' types) is checked after it.
 *
 * Rules, with the specification's words:
 * - the log event is one JSON object, "with no additional data at the beginning or end";
 * - the root has `_aws`, an object with `Timestamp` ("milliseconds after Jan 1, 1970") and
 *   `CloudWatchMetrics`, an array of MetricDirectives;
 * - a MetricDirective has `Namespace` (1–255 characters), `Dimensions` (an array of DimensionSets)
 *   and `Metrics` ("MUST NOT contain more than 100 MetricDefinition objects");
 * - a DimensionSet is an array of dimension keys, "MUST NOT contain more than 30", "MAY be empty";
 * - a MetricDefinition has `Name`, and MAY have `Unit` (a CloudWatch unit) and `StorageResolution`
 *   (1 or 60);
 * - "objects defined by this specification MUST NOT contain any additional members";
 * - every Name and dimension key references a member of the root node, not a nested one ("A.a" is
 *   the member named `A.a`); "the root node MUST contain all target members";
 * - "a metric target MUST be a numeric value or an array of numeric values", arrays of at most 100;
 * - "a dimension target MUST have a string value" (CloudWatch's Dimension: 1 to 1024 characters).
 */
export const EMF_SCHEMA = {
  type: 'object',
  required: ['_aws'],
  properties: {
    _aws: {
      type: 'object',
      required: ['Timestamp', 'CloudWatchMetrics'],
      additionalProperties: false,
      properties: {
        Timestamp: { type: 'integer', minimum: 0 },
        CloudWatchMetrics: {
          type: 'array',
          items: {
            type: 'object',
            required: ['Namespace', 'Dimensions', 'Metrics'],
            additionalProperties: false,
            properties: {
              Namespace: { type: 'string', minLength: 1, maxLength: 255 },
              Dimensions: {
                type: 'array',
                minItems: 1,
                items: { type: 'array', maxItems: 30, items: { type: 'string', minLength: 1, maxLength: 255 } },
              },
              Metrics: {
                type: 'array',
                maxItems: 100,
                items: {
                  type: 'object',
                  required: ['Name'],
                  additionalProperties: false,
                  properties: {
                    Name: { type: 'string', minLength: 1, maxLength: 255 },
                    Unit: {
                      enum: [
                        'Seconds',
                        'Microseconds',
                        'Milliseconds',
                        'Bytes',
                        'Kilobytes',
                        'Megabytes',
                        'Gigabytes',
                        'Terabytes',
                        'Bits',
                        'Kilobits',
                        'Megabits',
                        'Gigabits',
                        'Terabits',
                        'Percent',
                        'Count',
                        'Bytes/Second',
                        'Kilobytes/Second',
                        'Megabytes/Second',
                        'Gigabytes/Second',
                        'Terabytes/Second',
                        'Bits/Second',
                        'Kilobits/Second',
                        'Megabits/Second',
                        'Gigabits/Second',
                        'Terabits/Second',
                        'Count/Second',
                        'None',
                      ],
                    },
                    StorageResolution: { enum: [1, 60] },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
} as const;

const validateSchema = new Ajv({ allErrors: true }).compile(EMF_SCHEMA);

/** One metric as CloudWatch extracts it from a record: one per MetricDefinition and DimensionSet. */
export interface ExtractedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: readonly number[];
}

interface Directive {
  readonly Namespace: string;
  readonly Dimensions: readonly (readonly string[])[];
  readonly Metrics: readonly { readonly Name: string; readonly Unit?: string }[];
}

/** The problems of one log event's text as an EMF record; none when it is valid. */
export function emfProblems(text: string): string[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (error) {
    return [`not one JSON value: ${(error as Error).message}`];
  }
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return ['the root is not a JSON object'];
  if (text.trim() !== text) return ['data before or after the JSON object'];
  if (!validateSchema(root)) {
    return (validateSchema.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  }
  const members = root as unknown as Record<string, unknown>;
  const problems: string[] = [];
  for (const [index, directive] of (members._aws as { CloudWatchMetrics: Directive[] }).CloudWatchMetrics.entries()) {
    for (const key of directive.Dimensions.flat()) {
      const value = Object.hasOwn(members, key) ? members[key] : undefined;
      if (typeof value !== 'string')
        problems.push(`directive ${index}: dimension ${key} is ${describe(value)}, not a string member of the root`);
      else if (value.length < 1 || value.length > 1024)
        problems.push(`directive ${index}: dimension ${key} has ${value.length} characters, not 1 to 1024`);
    }
    for (const { Name } of directive.Metrics) {
      const value = Object.hasOwn(members, Name) ? members[Name] : undefined;
      const numeric = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
      if (Array.isArray(value)) {
        if (value.length > 100) problems.push(`directive ${index}: metric ${Name} has ${value.length} values, more than 100`);
        if (!value.every(numeric)) problems.push(`directive ${index}: metric ${Name} is an array with a value that is not a number`);
      } else if (!numeric(value)) {
        problems.push(`directive ${index}: metric ${Name} is ${describe(value)}, not a number or an array of numbers on the root`);
      }
    }
  }
  return problems;
}

/** The metrics CloudWatch would extract from a valid record: each definition once per DimensionSet. */
export function extractMetrics(text: string): ExtractedMetric[] {
  const problems = emfProblems(text);
  if (problems.length > 0) throw new Error(`not a valid EMF record: ${problems.join('; ')}`);
  const members = JSON.parse(text) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Directive[] } };
  return members._aws.CloudWatchMetrics.flatMap((directive) =>
    directive.Metrics.flatMap(({ Name, Unit }) =>
      directive.Dimensions.map((set) => ({
        namespace: directive.Namespace,
        name: Name,
        unit: Unit ?? 'None',
        dimensions: Object.fromEntries(set.map((key) => [key, members[key] as string])),
        values: ([] as number[]).concat(members[Name] as number | number[]),
      })),
    ),
  );
}

function describe(value: unknown): string {
  return value === undefined ? 'missing' : `a ${Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value}`;
}
