import { SecretsManagerReader } from '../../../lambda/aws/secrets-manager.js';
import { createProbe } from './probe.js';

/** The probe's Lambda entry (probe.ts), configured from the function's environment at cold start. */
export const handler = createProbe(process.env, new SecretsManagerReader(process.env));
