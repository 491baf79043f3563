import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';

/**
 * Access-log formats for the stages of APIs the phantom token authorizer protects: one JSON object
 * per request with the fields that tell an authorizer problem apart (the authorizer's error,
 * status and latency where API Gateway has them, the gateway's error and response type), and
 * never the JWT or the `Authorization` header (`$context.authorizer.jwt` and
 * `$context.authorizer.authorization` are left out on purpose). Every value is a string; API
 * Gateway writes `-` for one it does not have.
 *
 * @example
 * new HttpStage(this, 'Stage', {
 *   httpApi,
 *   accessLogSettings: { destination: new LogGroupLogDestination(logGroup), format: PhantomTokenAccessLogFormat.httpApi() },
 * });
 */
export class PhantomTokenAccessLogFormat {
  /**
   * For HTTP API stages (`HttpStage`'s `accessLogSettings.format`). HTTP APIs document
   * `$context.authorizer.error` and the authorizer's context values, not its latency or status.
   */
  static httpApi(): AccessLogFormat {
    return AccessLogFormat.custom(JSON.stringify(HTTP_API_FIELDS));
  }

  /** For REST API stages (`deployOptions.accessLogFormat`): with the authorizer's status, latency and request id. */
  static restApi(): AccessLogFormat {
    return AccessLogFormat.custom(JSON.stringify(REST_API_FIELDS));
  }

  private constructor() {}
}

/** Fields both kinds of stage log ($context variables both document). */
const COMMON_FIELDS = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  status: '$context.status',
  responseLatency: '$context.responseLatency',
  errorMessage: '$context.error.message',
  errorResponseType: '$context.error.responseType',
  authorizerError: '$context.authorizer.error',
  sourceIp: '$context.identity.sourceIp',
};

/** HTTP API: "Customize HTTP API access logs" (API Gateway developer guide, http-api-logging-variables). */
export const HTTP_API_FIELDS = {
  ...COMMON_FIELDS,
  routeKey: '$context.routeKey',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  clientId: '$context.authorizer.client_id',
};

/** REST API: "Variables for access logging for API Gateway" (api-gateway-variables-for-access-logging). */
export const REST_API_FIELDS = {
  ...COMMON_FIELDS,
  resourcePath: '$context.resourcePath',
  authorizerStatus: '$context.authorizer.status',
  authorizerLatency: '$context.authorizer.latency',
  authorizerIntegrationStatus: '$context.authorizer.integrationStatus',
  authorizerIntegrationLatency: '$context.authorizer.integrationLatency',
  authorizerRequestId: '$context.authorizer.requestId',
  principalId: '$context.authorizer.principalId',
  integrationLatency: '$context.integration.latency',
};
