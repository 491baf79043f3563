import { ActualResult, ExpectedResult, type IApiCall, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App } from 'aws-cdk-lib';
import { PhantomTokenIntegStack } from './integ-stack.js';
import { assertionId, CHECKS } from './probe/checks.js';

/**
 * The integration test (integ-runner's `integ.*.ts`): deploys PhantomTokenIntegStack and, for
 * each assumption the design rests on, invokes the probe with that check's name and asserts that
 * its result is `PASS`. The assertions are named after the checks (`Check` + the name in
 * PascalCase); they run one after another (each probe call waits for the previous one), so the
 * checks do not compete for the account's Lambda concurrency. docs/verified-on-aws.md lists them.
 *
 * Offline, `npm run integ:check` (and test/integ/snapshot.test.ts) compares this app's synthesis
 * with the committed snapshot, which `npm run integ:snapshot` writes; with an AWS account,
 * `npm run integ` deploys it, runs the assertions and destroys everything (test/integ/run.ts).
 */
const app = new App();
const stack = new PhantomTokenIntegStack(app, 'PhantomTokenInteg');
const integ = new IntegTest(app, 'PhantomTokenIntegTest', {
  testCases: [stack],
  // Deploy the app as it is; deploying the committed snapshot first would double the run.
  stackUpdateWorkflow: false,
  // The snapshot check compares the code assets' hashes too: a change to the authorizer, the
  // route table or the test's functions fails it until the snapshot is updated (npm run integ:snapshot).
  diffAssets: true,
});

let previous: IApiCall | undefined;
for (const name of Object.keys(CHECKS)) {
  const call = integ.assertions.invokeFunction({ functionName: stack.probe.functionName, payload: JSON.stringify({ check: name }) });
  integ.assertions.expect(assertionId(name), ExpectedResult.exact('PASS'), ActualResult.fromAwsApiCall(call, 'Payload.result'));
  previous?.next(call);
  previous = call;
}
