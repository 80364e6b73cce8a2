/**
 * Builds the CDK app from its context: one NodeJoinRemediatorStack, checked by the cdk-nag
 * AwsSolutions and Serverless packs (an unacknowledged finding fails synthesis).
 */
import type { App } from 'aws-cdk-lib';
import { appSettingsFromContext } from './app-context';
import { addNagPacks } from './nag';
import { NodeJoinRemediatorStack } from './node-join-remediator-stack';

export function buildRemediatorApp(app: App): NodeJoinRemediatorStack {
  const settings = appSettingsFromContext(app.node.getAllContext());
  addNagPacks(app);
  return new NodeJoinRemediatorStack(app, settings.stackName, {
    ...settings.stackProps,
    // Only an explicit -c account= / -c region= pins the environment; CDK_DEFAULT_ACCOUNT/REGION
    // (always set by the CDK CLI) are ignored on purpose, so the template stays region-neutral.
    env: settings.env,
  });
}
