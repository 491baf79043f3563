import { resolve } from 'node:path';
import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, LogGroupLogDestination as HttpLogGroupLogDestination, HttpMethod, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type IntrospectionResponseType, PhantomTokenAuthorizer } from '../lib/index.js';

/** The audience the sample APIs require: the resource the local OAuth server issues tokens for (DEFAULT_RESOURCE). */
export const SAMPLE_API_AUDIENCE = 'https://api.example.com';

export interface SampleStackProps extends StackProps {
  readonly introspectionEndpoint: string;
  readonly clientCredentialsSecret: string;
  readonly introspectionResponseType?: IntrospectionResponseType;
  readonly jwksUri?: string;
  readonly issuer?: string;
  /** @default SAMPLE_API_AUDIENCE */
  readonly audience?: string;
  /** DPoP- and certificate-bound tokens (turns API Gateway's decision cache off). @default false */
  readonly senderConstrainedTokens?: boolean;
}

/**
 * The sample app: an HTTP API and a REST API, each with `GET /echo` (scope `read`), `POST /echo`
 * (scope `write`) and `GET /public` (no token), in front of an echo backend that answers with
 * the headers it received, so the JWT can be seen arriving.
 */
export class SampleStack extends Stack {
  readonly authorizer: PhantomTokenAuthorizer;

  constructor(scope: Construct, id: string, props: SampleStackProps) {
    super(scope, id, props);

    this.authorizer = new PhantomTokenAuthorizer(this, 'PhantomToken', {
      introspectionEndpoint: props.introspectionEndpoint,
      clientCredentialsSecret: props.clientCredentialsSecret,
      introspectionResponseType: props.introspectionResponseType,
      jwksUri: props.jwksUri,
      issuer: props.issuer,
      audience: props.audience ?? SAMPLE_API_AUDIENCE,
      senderConstrainedTokens: props.senderConstrainedTokens,
    });

    const echoLogs = new LogGroup(this, 'EchoLogs', { retention: RetentionDays.ONE_WEEK });
    const echoRole = new Role(this, 'EchoRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    echoLogs.grantWrite(echoRole);
    const echo = new NodejsFunction(this, 'Echo', {
      entry: resolve(__dirname, './echo-backend.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      logGroup: echoLogs,
      role: echoRole,
      bundling: { format: OutputFormat.CJS, minify: true, forceDockerBundling: false },
    });

    // HTTP API
    const httpApi = new HttpApi(this, 'HttpApi', { createDefaultStage: false });
    new HttpStage(this, 'HttpApiStage', {
      httpApi,
      autoDeploy: true,
      accessLogSettings: {
        destination: new HttpLogGroupLogDestination(new LogGroup(this, 'HttpApiAccessLogs', { retention: RetentionDays.ONE_MONTH })),
      },
    });
    const httpEcho = new HttpLambdaIntegration('Echo', echo);
    this.authorizer.addHttpRoutes(httpApi, { path: '/echo', methods: [HttpMethod.GET], integration: httpEcho, scopes: ['read'] });
    this.authorizer.addHttpRoutes(httpApi, { path: '/echo', methods: [HttpMethod.POST], integration: httpEcho, scopes: ['write'] });
    const [publicRoute] = httpApi.addRoutes({ path: '/public', methods: [HttpMethod.GET], integration: httpEcho });

    // REST API
    const restApi = new RestApi(this, 'RestApi', {
      endpointTypes: [EndpointType.REGIONAL],
      cloudWatchRole: true,
      deployOptions: {
        loggingLevel: MethodLoggingLevel.INFO,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(new LogGroup(this, 'RestApiAccessLogs', { retention: RetentionDays.ONE_MONTH })),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const restEcho = new LambdaIntegration(echo);
    // A missing Authorization header is answered 401 by the authorizer stage already; the
    // validator documents the requirement in the API definition as well.
    const requestValidator = restApi.addRequestValidator('Validator', { validateRequestParameters: true, validateRequestBody: true });
    const methodOptions = { requestValidator, requestParameters: { 'method.request.header.Authorization': true } };
    const echoResource = restApi.root.addResource('echo');
    const restMethods = [
      this.authorizer.addRestMethod(echoResource, 'GET', restEcho, { scopes: ['read'], methodOptions }),
      this.authorizer.addRestMethod(echoResource, 'POST', restEcho, { scopes: ['write'], methodOptions }),
    ];
    const publicMethod = restApi.root.addResource('public').addMethod('GET', restEcho);

    // cdk-nag (AwsSolutions) findings that are choices of this sample, each with its reason.
    for (const construct of [publicRoute, publicMethod].filter((c) => c !== undefined)) {
      for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
        Validations.of(construct).acknowledge({ id, reason: 'GET /public is public by design: it shows a route without a token.' });
      }
    }
    for (const method of restMethods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Authorized by the phantom-token Lambda authorizer (OAuth token introspection), which is the point of this sample, not by Cognito.',
      });
    }
    Validations.of(restApi).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'API Gateway account-level CloudWatch role: AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for it.',
    });
    Validations.of(restApi).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: 'A sample: attach the WAF web ACL of your account in front of a real API.',
    });

    new CfnOutput(this, 'HttpApiUrl', {
      value: httpApi.apiEndpoint,
      description: 'HTTP API: GET /echo (read), POST /echo (write), GET /public',
    });
    new CfnOutput(this, 'RestApiUrl', { value: restApi.url, description: 'REST API: GET /echo (read), POST /echo (write), GET /public' });
  }
}
