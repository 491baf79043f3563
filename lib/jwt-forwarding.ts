import type { IntegrationConfig } from 'aws-cdk-lib/aws-apigateway';
import { Integration, IntegrationType, type Method } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpIntegrationType,
  HttpRouteIntegration,
  type HttpRouteIntegrationBindOptions,
  type HttpRouteIntegrationConfig,
  MappingValue,
  ParameterMapping,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { CONTEXT_KEYS } from '../lambda/environment.js';

/**
 * An HTTP API integration that delivers the JWT to the backend. For HTTP and private (VPC link)
 * integrations it adds `overwrite:header.<name>` ← `$context.authorizer.jwt` to whatever mapping
 * the wrapped integration has: `overwrite`, so a value the client sent in that header never
 * reaches the backend. Lambda integrations are left as they are; they read the JWT from
 * `requestContext.authorizer.lambda.jwt` (see the backend helper).
 */
export class JwtForwardingHttpIntegration extends HttpRouteIntegration {
  constructor(
    private readonly inner: HttpRouteIntegration,
    private readonly headerName: string,
  ) {
    super(`${(inner as unknown as { id: string }).id}JwtForwarding`);
  }

  override bind(options: HttpRouteIntegrationBindOptions): HttpRouteIntegrationConfig {
    const config = this.inner.bind(options);
    if (config.type !== HttpIntegrationType.HTTP_PROXY) return config;
    const mapping = new ParameterMapping();
    for (const [key, value] of Object.entries(config.parameterMapping?.mappings ?? {})) mapping.custom(key, value);
    mapping.overwriteHeader(this.headerName, MappingValue.contextVariable(`authorizer.${CONTEXT_KEYS.jwt}`));
    return { ...config, parameterMapping: mapping };
  }

  protected override completeBind(options: HttpRouteIntegrationBindOptions): void {
    // The wrapped integration may finish its own binding here (a Lambda integration grants invoke).
    (this.inner as unknown as { completeBind(o: HttpRouteIntegrationBindOptions): void }).completeBind(options);
  }
}

/**
 * A REST API integration that delivers `Authorization: Bearer <JWT>` to HTTP backends, as behind
 * the NGINX module: the integration request header is mapped from the authorizer context key
 * `authorization` (REST mapping cannot concatenate, so the authorizer provides the whole value).
 * Lambda proxy and other integrations are left as they are.
 */
export class JwtForwardingRestIntegration extends Integration {
  constructor(private readonly inner: Integration) {
    // The props here are placeholders: bind() answers with the wrapped integration's configuration.
    super({ type: IntegrationType.MOCK });
  }

  override bind(method: Method): IntegrationConfig {
    const config = this.inner.bind(method);
    if (config.type !== IntegrationType.HTTP_PROXY && config.type !== IntegrationType.HTTP) return config;
    return {
      ...config,
      options: {
        ...config.options,
        requestParameters: {
          ...config.options?.requestParameters,
          'integration.request.header.Authorization': `context.authorizer.${CONTEXT_KEYS.authorization}`,
        },
      },
    };
  }
}
