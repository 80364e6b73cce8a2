/**
 * Builds the CDK app from its context, checked by the cdk-nag AwsSolutions and Serverless packs
 * (an unacknowledged finding fails synthesis):
 * - deployment=single (default): one NodeJoinRemediatorStack;
 * - deployment=organization: one OrganizationCentralStack (central topic, dashboard, and the
 *   StackSet of the member stack).
 */
import type { App } from 'aws-cdk-lib';
import { appSettingsFromContext } from './app-context';
import { addNagPacks } from './nag';
import { NodeJoinRemediatorStack } from './node-join-remediator-stack';
import { OrganizationCentralStack } from './organization';

export function buildRemediatorApp(app: App): NodeJoinRemediatorStack | OrganizationCentralStack {
  const settings = appSettingsFromContext(app.node.getAllContext());
  addNagPacks(app);
  // Only an explicit -c account= / -c region= pins the environment; CDK_DEFAULT_ACCOUNT/REGION
  // (always set by the CDK CLI) are ignored on purpose, so the template stays region-neutral.
  if (settings.organization) {
    return new OrganizationCentralStack(app, settings.stackName, {
      ...settings.organization,
      env: settings.env,
      member: { remediator: settings.stackProps.remediator },
    });
  }
  return new NodeJoinRemediatorStack(app, settings.stackName, { ...settings.stackProps, env: settings.env });
}
