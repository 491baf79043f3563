import { type AwsJsonService, awsEndpoint, type Environment } from './aws-json-client.js';

/**
 * DynamoDB in AWS JSON 1.0 (`X-Amz-Target: DynamoDB_20120810.PutItem`), shared by every writer of
 * a table (the DPoP replay store, the revocation receiver). Its endpoint rules (as the SDK resolves
 * them, without account-based endpoints): `dynamodb[-fips].<region>.<DNS suffix>`, the partition's
 * dual-stack suffix (`api.aws`, …) for dual stack; in `aws-us-gov` the plain endpoint is the FIPS
 * one already, so FIPS without dual stack keeps it.
 */
export const DYNAMODB: AwsJsonService = {
  displayName: 'DynamoDB',
  signingName: 'dynamodb',
  endpointVariable: 'AWS_ENDPOINT_URL_DYNAMODB',
  jsonVersion: '1.0',
  targetPrefix: 'DynamoDB_20120810',
  // The longest answer is a GetItem of the shared cache: one item, at most 400 KB, written back as
  // JSON, where a byte of a string attribute takes at most three (a 4-byte character as a
  // `\uXXXX\uXXXX` pair). An item of this project's holds a JWT of up to 64 KiB, so a bound below
  // 64 KiB refused its own entries; anything past this one is not DynamoDB.
  maxAnswerBytes: 3 * 400 * 1_024,
  regionalHost: ({ region, partition, fips, dualStack }) => {
    const fipsLabel = fips && (dualStack || partition.name !== 'aws-us-gov') ? '-fips' : '';
    return `dynamodb${fipsLabel}.${region}.${dualStack ? partition.dualStackDnsSuffix : partition.dnsSuffix}`;
  },
};

/** The DynamoDB endpoint for this environment, as the AWS SDKs resolve it. */
export function dynamoDbEndpoint(env: Environment, region: string): URL {
  return awsEndpoint(DYNAMODB, env, region);
}
