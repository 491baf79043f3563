import { describe, expect, it } from 'vitest';
import { emfProblems, extractMetrics } from '../../local/emf-validator.js';

// Records are edited into invalid shapes on purpose: any is the honest type of what a test writes there.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Root = Record<string, any>;

/** The valid example of the specification, with one change applied to a copy. */
function record(change: (root: Root) => void = () => {}): string {
  const root: Root = {
    _aws: {
      Timestamp: 1574109732004,
      CloudWatchMetrics: [
        { Namespace: 'lambda-function-metrics', Dimensions: [['functionVersion']], Metrics: [{ Name: 'time', Unit: 'Milliseconds' }] },
      ],
    },
    functionVersion: '$LATEST',
    time: 100,
    requestId: '989ffbf8-9ace-4817-a57c-e4dd734019ee',
  };
  change(root);
  return JSON.stringify(root);
}

describe('the EMF validator', () => {
  it("accepts the specification's own example", () => {
    expect(emfProblems(record())).toEqual([]);
  });

  it('accepts an empty DimensionSet, a value array of 100, StorageResolution 1 and 60, and a unit left out', () => {
    const text = record((root) => {
      root._aws.CloudWatchMetrics[0].Dimensions.push([]);
      root._aws.CloudWatchMetrics[0].Metrics.push({ Name: 'sizes', StorageResolution: 1 }, { Name: 'other', StorageResolution: 60 });
      root.sizes = Array.from({ length: 100 }, (_, i) => i);
      root.other = 0.5;
    });
    expect(emfProblems(text)).toEqual([]);
  });

  it('refuses text that is not one JSON object, or has data around it', () => {
    expect(emfProblems('{"_aws":')).toEqual([expect.stringMatching(/^not one JSON value/)]);
    expect(emfProblems('[1]')).toEqual(['the root is not a JSON object']);
    expect(emfProblems(` ${record()}`)).toEqual(['data before or after the JSON object']);
  });

  it('refuses a record without _aws, Timestamp or CloudWatchMetrics, or a Timestamp that is not whole milliseconds', () => {
    expect(emfProblems('{"time":1}')).toEqual(["/ must have required property '_aws'"]);
    expect(emfProblems(record((root) => delete root._aws.Timestamp))).toEqual(["/_aws must have required property 'Timestamp'"]);
    expect(emfProblems(record((root) => delete root._aws.CloudWatchMetrics))).toEqual([
      "/_aws must have required property 'CloudWatchMetrics'",
    ]);
    expect(emfProblems(record((root) => (root._aws.Timestamp = 1574109732004.5)))).toEqual(['/_aws/Timestamp must be integer']);
  });

  it('refuses members the specification does not define in the objects it defines', () => {
    expect(emfProblems(record((root) => (root._aws.Extra = 1)))).toEqual(['/_aws must NOT have additional properties']);
    expect(emfProblems(record((root) => (root._aws.CloudWatchMetrics[0].Metrics[0].Extra = 1)))).toEqual([
      '/_aws/CloudWatchMetrics/0/Metrics/0 must NOT have additional properties',
    ]);
  });

  it('refuses an empty or over-long namespace, more than 30 dimension keys and more than 100 metrics', () => {
    expect(emfProblems(record((root) => (root._aws.CloudWatchMetrics[0].Namespace = '')))).toEqual([
      '/_aws/CloudWatchMetrics/0/Namespace must NOT have fewer than 1 characters',
    ]);
    expect(emfProblems(record((root) => (root._aws.CloudWatchMetrics[0].Namespace = 'n'.repeat(256))))).toEqual([
      '/_aws/CloudWatchMetrics/0/Namespace must NOT have more than 255 characters',
    ]);
    const keys = Array.from({ length: 31 }, (_, i) => `d${i}`);
    const thirtyOne = record((root) => {
      root._aws.CloudWatchMetrics[0].Dimensions = [keys];
      for (const key of keys) root[key] = 'x';
    });
    expect(emfProblems(thirtyOne)).toEqual(['/_aws/CloudWatchMetrics/0/Dimensions/0 must NOT have more than 30 items']);
    const thirty = record((root) => {
      root._aws.CloudWatchMetrics[0].Dimensions = [keys.slice(0, 30)];
      for (const key of keys) root[key] = 'x';
    });
    expect(emfProblems(thirty)).toEqual([]);
    const names = Array.from({ length: 101 }, (_, i) => `m${i}`);
    const hundredOne = record((root) => {
      root._aws.CloudWatchMetrics[0].Metrics = names.map((Name) => ({ Name }));
      for (const name of names) root[name] = 1;
    });
    expect(emfProblems(hundredOne)).toEqual(['/_aws/CloudWatchMetrics/0/Metrics must NOT have more than 100 items']);
  });

  it('refuses a unit CloudWatch does not know and a StorageResolution other than 1 or 60', () => {
    expect(emfProblems(record((root) => (root._aws.CloudWatchMetrics[0].Metrics[0].Unit = 'ms')))).toEqual([
      '/_aws/CloudWatchMetrics/0/Metrics/0/Unit must be equal to one of the allowed values',
    ]);
    expect(emfProblems(record((root) => (root._aws.CloudWatchMetrics[0].Metrics[0].StorageResolution = 30)))).toEqual([
      '/_aws/CloudWatchMetrics/0/Metrics/0/StorageResolution must be equal to one of the allowed values',
    ]);
  });

  it('refuses a reference to a member the root does not have, or has only nested', () => {
    expect(emfProblems(record((root) => delete root.time))).toEqual([
      'directive 0: metric time is missing, not a number or an array of numbers on the root',
    ]);
    expect(emfProblems(record((root) => delete root.functionVersion))).toEqual([
      'directive 0: dimension functionVersion is missing, not a string member of the root',
    ]);
    const nested = record((root) => {
      root._aws.CloudWatchMetrics[0].Metrics[0].Name = 'A.a';
      root.A = { a: 1 };
    });
    expect(emfProblems(nested)).toEqual(['directive 0: metric A.a is missing, not a number or an array of numbers on the root']);
    expect(emfProblems(record((root) => delete root.requestId))).toEqual([]);
  });

  it('refuses a metric target that is not a number or an array of at most 100 numbers, and a dimension that is not a 1-1024 character string', () => {
    expect(emfProblems(record((root) => (root.time = '100')))).toEqual([
      'directive 0: metric time is a string, not a number or an array of numbers on the root',
    ]);
    expect(emfProblems(record((root) => (root.time = [1, 'x'])))).toEqual([
      'directive 0: metric time is an array with a value that is not a number',
    ]);
    expect(emfProblems(record((root) => (root.time = Array.from({ length: 101 }, () => 1))))).toEqual([
      'directive 0: metric time has 101 values, more than 100',
    ]);
    expect(emfProblems(record((root) => (root.functionVersion = 7)))).toEqual([
      'directive 0: dimension functionVersion is a number, not a string member of the root',
    ]);
    expect(emfProblems(record((root) => (root.functionVersion = '')))).toEqual([
      'directive 0: dimension functionVersion has 0 characters, not 1 to 1024',
    ]);
  });

  it('extracts one metric per definition and DimensionSet, as CloudWatch does', () => {
    const text = record((root) => root._aws.CloudWatchMetrics[0].Dimensions.push([]));
    expect(extractMetrics(text)).toEqual([
      {
        namespace: 'lambda-function-metrics',
        name: 'time',
        unit: 'Milliseconds',
        dimensions: { functionVersion: '$LATEST' },
        values: [100],
      },
      { namespace: 'lambda-function-metrics', name: 'time', unit: 'Milliseconds', dimensions: {}, values: [100] },
    ]);
    expect(() => extractMetrics('{}')).toThrow("not a valid EMF record: / must have required property '_aws'");
  });
});
