import { createSampleApp } from './sample-app.js';

/**
 * The sample app. Deploy with your OAuth server's introspection endpoint and the secret that
 * holds the authorizer's client credentials:
 *   npx cdk deploy -c introspectionEndpoint=https://… -c clientCredentialsSecret=<arn or name>
 */
createSampleApp();
