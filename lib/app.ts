/**
 * Builds the CDK app from its context: one NodeJoinRemediatorStack, checked by the cdk-nag
 * AwsSolutions and Serverless packs (an unacknowledged finding fails synthesis).
 */
import type { App } from 'aws-cdk-lib';
import { appSettingsFromContext } from './app-context';
import { addNagPacks } from './nag';
import { NodeJoinRemediatorStack } from './node-join-remediator-stack';

export function buildRemediatorApp(app: App, env: NodeJS.ProcessEnv = process.env): NodeJoinRemediatorStack {
  const settings = appSettingsFromContext(app.node.getAllContext());
  addNagPacks(app);
  return new NodeJoinRemediatorStack(app, settings.stackName, {
    ...settings.stackProps,
    // Set by the CDK CLI from the current credentials; when absent the template stays environment-agnostic.
    env: { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION },
  });
}
