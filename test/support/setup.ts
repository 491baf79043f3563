import { afterAll, expect } from 'vitest';
import { capturedOutput, emfLineProblems, leakedSecrets, rememberedSecrets } from './log-capture.js';

// The real AWS SDK client talks to a local endpoint in tests: give it a region and static
// credentials so it never looks for an instance role or a profile.
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

// Every test file runs with its output captured; when it ends, none of the tokens, JWTs and
// client secrets it used may appear in anything it printed.
afterAll(() => {
  expect(leakedSecrets(capturedOutput(), rememberedSecrets()), 'tokens, JWTs or secrets that reached the output').toEqual([]);
});

// Every decision line (and every warning line that carries metrics) any test file printed, the
// end-to-end flow's included, must be a valid CloudWatch embedded metric format record.
afterAll(() => {
  expect(emfLineProblems(), 'decision and warning lines that are not valid EMF records').toEqual([]);
});
