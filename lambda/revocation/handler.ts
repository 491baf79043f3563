import { createRevocationReceiver } from './receiver.js';

/**
 * The revocation receiver behind a Lambda function URL (payload format 2.0). The environment is
 * validated here, at cold start; see `receiver.ts` for the delivery flow and `REVOCATION_ENV` in
 * `../environment.ts` for the contract.
 */
export const handler = createRevocationReceiver(process.env);
