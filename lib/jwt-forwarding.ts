import type { IntegrationConfig } from 'aws-cdk-lib/aws-apigateway';
import { Integration, IntegrationType, type Method } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpIntegrationType,
  HttpRouteIntegration,
  type HttpRouteIntegrationBindOptions,
  type HttpRouteIntegrationConfig,
  type IHttpApi,
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
    for (const [key, value] of Object.entries(config.parameterMapping?.mappings ?? {})) {
      // The JWT header carries only what the authorizer returned: the wrapped integration's own mapping of it is dropped.
      if (key.toLowerCase().endsWith(`:header.${this.headerName}`)) continue;
      mapping.custom(key, value);
    }
    mapping.overwriteHeader(this.headerName, MappingValue.contextVariable(`authorizer.${CONTEXT_KEYS.jwt}`));
    return { ...config, parameterMapping: mapping };
  }

  protected override completeBind(options: HttpRouteIntegrationBindOptions): void {
    // The wrapped integration may finish its own binding here (a Lambda integration grants invoke).
    (this.inner as unknown as { completeBind(o: HttpRouteIntegrationBindOptions): void }).completeBind(options);
  }
}

/**
 * The `JwtForwardingHttpIntegration`s made so far, one per wrapped integration, HTTP API
 * and header name, so that every route given the same integration shares one
 * `AWS::ApiGatewayV2::Integration`: a wrapper, like any `HttpRouteIntegration`, creates its
 * integration on the first route it binds to and reuses it on the next ones. The API is part of
 * the key because an `HttpRouteIntegration` bound to a second API throws (`A single integration
 * cannot be associated with multiple APIs`): one integration on two APIs gets a wrapper on each.
 * Held by whoever adds the routes (one per `PhantomTokenAuthorizer`), not by the module; keyed
 * weakly by the wrapped integration.
 */
export class JwtForwardingHttpIntegrations {
  private readonly wrappers = new WeakMap<HttpRouteIntegration, Map<string, JwtForwardingHttpIntegration>>();

  /** The wrapper of `inner` for routes of `httpApi`: the one made before for the same key, or a new one. */
  wrap(inner: HttpRouteIntegration, httpApi: IHttpApi, headerName: string): JwtForwardingHttpIntegration {
    let byKey = this.wrappers.get(inner);
    if (byKey === undefined) {
      byKey = new Map();
      this.wrappers.set(inner, byKey);
    }
    // node.addr identifies the API as HttpRouteIntegration's own check does.
    const key = JSON.stringify([httpApi.node.addr, headerName]);
    let wrapper = byKey.get(key);
    if (wrapper === undefined) {
      wrapper = new JwtForwardingHttpIntegration(inner, headerName);
      byKey.set(key, wrapper);
    }
    return wrapper;
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
