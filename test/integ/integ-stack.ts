import { resolve } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EndpointType, HttpIntegration, LambdaIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, HttpUrlIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Architecture, FunctionUrlAuthType, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CachedAnswerSharing, PhantomTokenAuthorizer } from '../../lib/index.js';
import { PROBE_ENV } from './probe/probe.js';
import { bigRoutes, ECHO_URL_PATHS, INTEG_AUDIENCE, type IntegRoute, REST_STAGE, ROUTES } from './routes.js';
import { STAND_IN_ENV } from './stand-in/stand-in.js';

/**
 * What the integration test deploys: the construct with its defaults (Curity-compatible
 * `application/jwt` introspection, gateway cache 60 s) in front of an HTTP API and a REST API
 * with the routes of routes.ts, an OAuth stand-in behind a function URL (stand-in/), an echo
 * backend (echo/) as Lambda integration and behind a function URL for HTTP integrations, and the
 * probe (probe/) the assertions invoke. Everything is removed with the stack: the secrets, the log
 * groups (the authorizer's too: `logRemovalPolicy`) and the functions.
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
      alarms: false,
      logRetention: RetentionDays.ONE_DAY,
      logRemovalPolicy: RemovalPolicy.DESTROY,
    });

    const echo = this.nodeFunction('Echo', 'echo/index.ts', {});
    const echoUrl = echo.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    const lambdaRoutes: IntegRoute[] = [ROUTES.scopeA, ROUTES.scopeB, ROUTES.colon, ROUTES.colonSecret, ROUTES.x, ROUTES.admin];

    const httpApi = new HttpApi(this, 'HttpApi');
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

    this.probe = this.nodeFunction(
      'Probe',
      'probe/index.ts',
      {
        [PROBE_ENV.httpApiUrl]: httpApi.apiEndpoint,
        [PROBE_ENV.restApiUrl]: restApi.url,
        [PROBE_ENV.standInUrl]: standInUrl.url,
        [PROBE_ENV.testClientSecret]: testClient.secretArn,
        [PROBE_ENV.authorizerLogGroup]: this.authorizer.logGroup.logGroupName,
      },
      Duration.seconds(100),
    );
    testClient.grantRead(this.probe);
    this.authorizer.logGroup.grant(this.probe, 'logs:FilterLogEvents');

    new CfnOutput(this, 'HttpApiUrl', { value: httpApi.apiEndpoint });
    new CfnOutput(this, 'RestApiUrl', { value: restApi.url });
    new CfnOutput(this, 'StandInUrl', { value: standInUrl.url });
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
