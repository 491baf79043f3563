import { createStandIn } from './stand-in.js';

/** The OAuth stand-in's Lambda entry (stand-in.ts), configured from the function's environment at cold start. */
export const handler = createStandIn(process.env);
