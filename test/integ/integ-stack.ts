import { resolve } from 'node:path';
import { CfnOutput, Duration, Lazy, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EndpointType, HttpIntegration, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Architecture, type CfnFunction, FunctionUrlAuthType, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ENV } from '../../lambda/environment.js';
import { CachedAnswerSharing, PhantomTokenAuthorizer } from '../../lib/index.js';
import { PROBE_ENV } from './probe/probe.js';
import {
  bigRoutes,
  ECHO_URL_PATHS,
  INTEG_AUDIENCE,
  INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS,
  INTEG_REVOCATION_AUDIENCE,
  INTEG_SET_ISSUER,
  type IntegRoute,
  REST_STAGE,
  ROUTES,
} from './routes.js';
import { STAND_IN_ENV } from './stand-in/stand-in.js';

/**
 * What the integration test deploys: the construct with its defaults (Curity-compatible
 * `application/jwt` introspection, gateway cache 60 s on the REST API) in front of an HTTP API and
 * a REST API with the routes of routes.ts, with the shared cache (`sharedCache: {}`, a DynamoDB
 * table) and push revocation (a receiver behind a function URL, flushing the REST stage), an OAuth
 * stand-in behind a function URL (stand-in/) that also signs the Security Event Tokens, an echo
 * backend (echo/) as Lambda integration and behind a function URL for HTTP integrations, and the
 * probe (probe/) the assertions invoke. The HTTP API caches decisions for
 * INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS (10 s), so that the check of its revocation bound fits in
 * the probe's timeout. Everything is removed with the stack: the secrets, the table, the log
 * groups (the authorizer's and the receiver's too: `logRemovalPolicy`) and the functions.
 *
 * No cycle: the receiver needs the stand-in's URL (its JWKS), so the stand-in is never told the
 * receiver's; it only signs SETs, and the probe, which is given the receiver's URL, pushes them.
 */
export class PhantomTokenIntegStack extends Stack {
  readonly authorizer: PhantomTokenAuthorizer;
  readonly probe: NodejsFunction;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const authorizerClient = this.clientSecret('AuthorizerClient', 'integ-authorizer', "the authorizer's client credentials");
    const testClient = this.clientSecret(
      'TestClient',
      'integ-client',
      "the test client's credentials; its secret also keys the stand-in's tokens",
    );

    const standIn = this.nodeFunction('StandIn', 'stand-in/index.ts', {
      [STAND_IN_ENV.authorizerClientSecret]: authorizerClient.secretArn,
      [STAND_IN_ENV.testClientSecret]: testClient.secretArn,
      [STAND_IN_ENV.audience]: INTEG_AUDIENCE,
      [STAND_IN_ENV.setIssuer]: INTEG_SET_ISSUER,
      [STAND_IN_ENV.setAudience]: INTEG_REVOCATION_AUDIENCE,
    });
    authorizerClient.grantRead(standIn);
    testClient.grantRead(standIn);
    const standInUrl = standIn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });

    this.authorizer = new PhantomTokenAuthorizer(this, 'PhantomToken', {
      introspectionEndpoint: `${standInUrl.url}introspect`,
      clientCredentialsSecret: authorizerClient,
      audience: INTEG_AUDIENCE,
      // The sharing whose assumption these checks verify (the default, SAME_SCOPES, is exact either way).
      cachedAnswerSharing: CachedAnswerSharing.EVALUATED_POLICY,
      sharedCache: {},
      revocation: { issuer: INTEG_SET_ISSUER, jwksUri: `${standInUrl.url}set-jwks`, audience: INTEG_REVOCATION_AUDIENCE },
      alarms: false,
      logRetention: RetentionDays.ONE_DAY,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });

    const echo = this.nodeFunction('Echo', 'echo/index.ts', {});
    const echoUrl = echo.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    const lambdaRoutes: IntegRoute[] = [ROUTES.scopeA, ROUTES.scopeB, ROUTES.colon, ROUTES.colonSecret, ROUTES.x, ROUTES.admin];

    const httpApi = new HttpApi(this, 'HttpApi');
    this.authorizer.setHttpApiResultsCacheTtl(httpApi, Duration.seconds(INTEG_HTTP_RESULTS_CACHE_TTL_SECONDS));
    const httpEcho = new HttpLambdaIntegration('Echo', echo);
    for (const route of [...lambdaRoutes, ...bigRoutes()]) {
      this.authorizer.addHttpRoutes(httpApi, {
        path: route.path,
        methods: [HttpMethod.GET],
        integration: httpEcho,
        scopes: [...route.scopes],
      });
    }
    this.authorizer.addHttpRoutes(httpApi, {
      path: ROUTES.any.path,
      methods: [HttpMethod.ANY],
      integration: httpEcho,
      scopes: [...ROUTES.any.scopes],
    });
    this.authorizer.addHttpRoutes(httpApi, {
      path: ROUTES.jwt.path,
      methods: [HttpMethod.GET],
      integration: new HttpUrlIntegration('EchoUrl', `${echoUrl.url}${ECHO_URL_PATHS.http.slice(1)}`, { method: HttpMethod.GET }),
      scopes: [...ROUTES.jwt.scopes],
    });

    const restApi = new RestApi(this, 'RestApi', {
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: { stageName: REST_STAGE },
    });
    const restEcho = new LambdaIntegration(echo);
    for (const route of lambdaRoutes) {
      this.authorizer.addRestMethod(restApi.root.resourceForPath(route.path), 'GET', restEcho, { scopes: [...route.scopes] });
    }
    this.authorizer.addRestMethod(restApi.root.resourceForPath(ROUTES.any.path), 'ANY', restEcho, { scopes: [...ROUTES.any.scopes] });
    this.authorizer.addRestMethod(
      restApi.root.resourceForPath(ROUTES.jwt.path),
      'GET',
      new HttpIntegration(`${echoUrl.url}${ECHO_URL_PATHS.rest.slice(1)}`, { proxy: true, httpMethod: 'GET' }),
      { scopes: [...ROUTES.jwt.scopes] },
    );

    const revocationReceiverUrl = this.authorizer.revocationReceiverUrl;
    if (revocationReceiverUrl === undefined) throw new Error('the integ stack needs the revocation receiver (revocation and sharedCache)');
    this.probe = this.nodeFunction(
      'Probe',
      'probe/index.ts',
      {
        [PROBE_ENV.httpApiUrl]: httpApi.apiEndpoint,
        [PROBE_ENV.restApiUrl]: restApi.url,
        [PROBE_ENV.standInUrl]: standInUrl.url,
        [PROBE_ENV.testClientSecret]: testClient.secretArn,
        [PROBE_ENV.authorizerLogGroup]: this.authorizer.logGroup.logGroupName,
        [PROBE_ENV.revocationReceiverUrl]: revocationReceiverUrl,
        [PROBE_ENV.authorizerMemoryTtlSeconds]: authorizerVariable(this.authorizer, ENV.sharedCacheMemoryTtlSeconds),
      },
      Duration.seconds(100),
    );
    testClient.grantRead(this.probe);
    this.authorizer.logGroup.grant(this.probe, 'logs:FilterLogEvents');

    new CfnOutput(this, 'HttpApiUrl', { value: httpApi.apiEndpoint });
    new CfnOutput(this, 'RestApiUrl', { value: restApi.url });
    new CfnOutput(this, 'StandInUrl', { value: standInUrl.url });
    new CfnOutput(this, 'RevocationReceiverUrl', { value: revocationReceiverUrl });
  }

  /** A generated `{"client_id","client_secret"}` secret, deleted with the stack. */
  private clientSecret(id: string, clientId: string, description: string): Secret {
    const secret = new Secret(this, id, {
      description: `cdk-phantom-token integration test: ${description}`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ client_id: clientId }),
        generateStringKey: 'client_secret',
        excludePunctuation: true,
        passwordLength: 40,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return secret;
  }

  /** A function of this test, bundled with the project's esbuild (no Docker), with a log group removed with the stack. */
  private nodeFunction(id: string, entry: string, environment: Record<string, string>, timeout = Duration.seconds(10)): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY });
    return new NodejsFunction(this, id, {
      entry: resolve(__dirname, entry),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout,
      logGroup,
      environment,
      bundling: { format: OutputFormat.CJS, minify: true, forceDockerBundling: false },
    });
  }
}

/**
 * A variable of the authorizer function's environment as the construct set it, read at synthesis:
 * the probe's bounds follow the construct's defaults rather than a copy of them.
 */
function authorizerVariable(authorizer: PhantomTokenAuthorizer, name: string): string {
  return Lazy.string({
    produce: () => {
      const environment = Stack.of(authorizer).resolve((authorizer.function.node.defaultChild as CfnFunction).environment) as
        | { variables?: Record<string, unknown> }
        | undefined;
      const value = environment?.variables?.[name];
      if (typeof value !== 'string') throw new Error(`the integ stack's authorizer has no literal ${name}`);
      return value;
    },
  });
}
