/**
 * `npm run demo`: the seed story (a new node group whose subnet has only the local route)
 * played end to end against the bundled emulator. The operator's change emits a CloudTrail
 * event, the real Lambda handler receives it and remediates, and the demo checks through the
 * Kubernetes API that the new node really joined. Exit 0 only then.
 */
import {
  AutoScalingClient,
  DescribeScalingActivitiesCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeInstancesCommand, DescribeRouteTablesCommand, EC2Client, type RouteTable } from '@aws-sdk/client-ec2';
import { DescribeNodegroupCommand, EKSClient, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import { NODEGROUP_API_EVENT_NAMES } from '../lambda/inputs';
import { createKubernetesClient } from '../lambda/kubernetes/client';
import type { NodeInfo } from '../lambda/model';
import { renderReport } from '../lambda/render';
import type { Report } from '../lambda/report';
import { startHarness, type Harness } from '../emulator/harness';
import { LocalFunction, recheckOf } from '../emulator/local-function';
import type { EventBridgeEnvelope } from '../emulator/index';

// The story is about the remediator, not about this machine's Node.js version.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const CLUSTER = 'eks-workshop';
const NODEGROUP_EVENTS: ReadonlySet<string> = new Set(NODEGROUP_API_EVENT_NAMES);

/** What the deployed EventBridge rules route to the function (lib/event-patterns.ts). */
function routedToRemediator(event: EventBridgeEnvelope): boolean {
  const detail = (event.detail ?? {}) as { eventName?: string; errorCode?: string };
  if (event.source === 'aws.eks') {
    return event['detail-type'] === 'AWS API Call via CloudTrail' && NODEGROUP_EVENTS.has(detail.eventName ?? '') && !detail.errorCode;
  }
  return event.source === 'aws.autoscaling' && event['detail-type'] === 'EC2 Instance Launch Successful';
}
const NODEGROUP = 'new_nodegroup_2';
const DEADLINE_MS = 50_000;

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const say = (text = '') => process.stdout.write(`${text}\n`);
const command = (text: string) => say(bold(`$ ${text}`));
const indent = (text: string) => text.split('\n').map((line) => `    ${line}`).join('\n');

function routeLines(table: RouteTable): string[] {
  return (table.Routes ?? []).map((r) => {
    const target = r.GatewayId ?? r.NatGatewayId ?? r.TransitGatewayId ?? r.NetworkInterfaceId ?? r.VpcPeeringConnectionId ?? '?';
    return `${r.DestinationCidrBlock ?? r.DestinationPrefixListId} -> ${target}   (${r.Origin ?? ''}, ${r.State})`;
  });
}

function nodeTable(nodes: NodeInfo[]): string {
  if (nodes.length === 0) return 'No resources found';
  const rows = nodes.map((n) => [n.name, n.ready ? 'Ready' : 'NotReady', n.instanceId ?? '']);
  const width = Math.max(4, ...rows.map((r) => r[0]!.length)) + 3;
  return [`${'NAME'.padEnd(width)}STATUS     INSTANCE`, ...rows.map((r) => `${r[0]!.padEnd(width)}${r[1]!.padEnd(11)}${r[2]}`)].join('\n');
}

/**
 * The function as deployed, on this machine: the real handler with the ambient AWS settings of
 * a Lambda running as the remediator's role, against the emulator.
 */
async function localFunction(harness: Harness): Promise<LocalFunction> {
  Object.assign(process.env, harness.cliEnv('remediator'));
  // The handler's own logs and metrics would go to CloudWatch; here they would drown the story.
  process.env['POWERTOOLS_LOG_LEVEL'] = 'SILENT';
  process.env['POWERTOOLS_METRICS_DISABLED'] = 'true';
  return LocalFunction.prepare();
}

async function tellStory(harness: Harness): Promise<boolean> {
  const { emulator } = harness;
  const operator = { region: emulator.region, endpoint: emulator.awsEndpoint, credentials: emulator.operator };
  const eks = new EKSClient(operator);
  const ec2 = new EC2Client(operator);
  const autoscaling = new AutoScalingClient(operator);
  const kubernetes = createKubernetesClient({ credentials: emulator.operator });
  const clusterApi = emulator.clusterApis[CLUSTER]!;
  const listNodes = () =>
    kubernetes.listNodegroupNodes(
      { clusterName: CLUSTER, endpoint: clusterApi.endpoint, certificateAuthorityData: clusterApi.certificateAuthorityData, region: emulator.region },
      NODEGROUP,
    );

  say(bold('eks-node-join-remediator — the seed story, on the local emulator'));
  say(`AWS APIs at ${emulator.awsEndpoint} (${emulator.region}); Kubernetes API of ${CLUSTER} at ${clusterApi.endpoint}`);
  say();
  say('1. A new node group was created in a new subnet. Its instance runs, but no node appears.');
  command(`kubectl get nodes --selector=eks.amazonaws.com/nodegroup=${NODEGROUP}`);
  say(indent(nodeTable(await listNodes())));

  command(`aws eks describe-nodegroup --cluster-name ${CLUSTER} --nodegroup-name ${NODEGROUP}`);
  const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName: CLUSTER, nodegroupName: NODEGROUP }));
  const scaling = nodegroup?.scalingConfig;
  say(indent(`status: ${nodegroup?.status}   capacityType: ${nodegroup?.capacityType}   scalingConfig: min ${scaling?.minSize}, max ${scaling?.maxSize}, desired ${scaling?.desiredSize}   health.issues: ${JSON.stringify(nodegroup?.health?.issues ?? [])}`));
  say(indent('Nothing looks wrong from the EKS API.'));

  const asgName = nodegroup?.resources?.autoScalingGroups?.[0]?.name ?? '';
  command(`aws autoscaling describe-scaling-activities --auto-scaling-group-name ${asgName}`);
  const { Activities = [] } = await autoscaling.send(new DescribeScalingActivitiesCommand({ AutoScalingGroupName: asgName }));
  for (const activity of Activities.slice(0, 2)) say(indent(`${activity.Description}   ${activity.StatusCode}`));

  const brokenInstanceId = /i-[0-9a-f]+/.exec(Activities[0]?.Description ?? '')?.[0];
  command(`aws ec2 describe-instances --instance-ids ${brokenInstanceId}`);
  const { Reservations = [] } = await ec2.send(new DescribeInstancesCommand({ InstanceIds: brokenInstanceId ? [brokenInstanceId] : [] }));
  const instance = Reservations[0]?.Instances?.[0];
  say(indent(`${instance?.InstanceId}   ${instance?.State?.Name}   ${instance?.SubnetId} (${instance?.Placement?.AvailabilityZone})   ${instance?.VpcId}`));

  const subnetId = instance?.SubnetId ?? '';
  const routeTableOf = async () =>
    (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }))).RouteTables?.[0];
  command(`aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=${subnetId}`);
  const before = await routeTableOf();
  say(indent(`${before?.RouteTableId}:\n${routeLines(before ?? {}).map((l) => `  ${l}`).join('\n')}`));
  say(indent('Only the local route: the instance cannot reach the AWS endpoints it needs to join.'));
  say();

  say('2. The team scales the node group (min 0, max 2, desired 1); CloudTrail reports the call to EventBridge.');
  const eventIndex = emulator.events().length;
  await eks.send(
    new UpdateNodegroupConfigCommand({ clusterName: CLUSTER, nodegroupName: NODEGROUP, scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 1 } }),
  );
  const [event] = harness.eventsSince(eventIndex, (e) => e.source === 'aws.eks' && routedToRemediator(e));
  if (!event) throw new Error('the emulator emitted no CloudTrail event for UpdateNodegroupConfig');
  const detail = event.detail as { eventName?: string; userIdentity?: { arn?: string } };
  say(indent(`event: ${detail.eventName} by ${detail.userIdentity?.arn} → the remediator Lambda`));
  say();

  say('3. The remediator runs: the real Lambda handler, invoked as Lambda would (as `npm run invoke` does),');
  say('   with its ledger table, re-check schedule group and report topic in the emulator:');
  const fn = await localFunction(harness);
  const first = await fn.invoke(event);
  const reports: Report[] = [...first.reports];
  for (const report of first.reports) say(indent(renderReport(report)));
  if (first.error) say(indent(`the handler threw ${first.error.name}: ${first.error.message}`));
  say();

  say('4. It did not wait for the new node: it scheduled a re-check for itself (EventBridge Scheduler, one-time)');
  say('   and returned. When the re-check comes due, Scheduler invokes the function again:');
  command('aws scheduler list-schedules --group-name eks-node-join-remediator');
  for (const schedule of await fn.pendingSchedules()) {
    say(indent(`${schedule.name}   ${schedule.scheduleExpression}   input ${JSON.stringify(schedule.input)}`));
  }
  const followUps = await fn.follow({
    onInvocation: (invocation) => {
      const recheck = invocation.schedule ? recheckOf(invocation.schedule) : undefined;
      say(indent(`re-check fired (${recheck?.reason ?? '?'}) → the function reports:`));
      for (const report of invocation.reports) say(indent(renderReport(report)));
    },
  });
  reports.push(...followUps.flatMap((i) => i.reports));
  const notifications = harness.emulator.notifications();
  say(indent(`SNS: ${notifications.length} notification(s) on outcome change: ${notifications.map((n) => n.subject ?? '').join('; ') || '(none)'}`));
  say();

  say("5. Events caused by the remediator's own work are delivered too; they do not start another remediation.");
  const ownEvents = harness.eventsSince(eventIndex + 1, routedToRemediator);
  for (const own of ownEvents) {
    const invocation = await fn.invoke(own);
    for (const r of invocation.reports) say(indent(`${own['detail-type']} (${own.source}) → ${r.outcome}: ${r.reason}`));
  }
  if (ownEvents.length === 0) say(indent('(none were emitted)'));
  say();

  say('6. After:');
  command(`aws ec2 describe-route-tables --filters Name=association.subnet-id,Values=${subnetId}`);
  const after = await routeTableOf();
  say(indent(`${after?.RouteTableId}:\n${routeLines(after ?? {}).map((l) => `  ${l}`).join('\n')}`));
  command(`kubectl get nodes --selector=eks.amazonaws.com/nodegroup=${NODEGROUP}`);
  const nodes = await listNodes();
  say(indent(nodeTable(nodes)));
  say();

  // Judge by what the Kubernetes API says, not by the report alone.
  const joined = nodes.some((n) => n.ready && n.instanceId !== brokenInstanceId);
  const remediated = reports.some((r) => r.outcome === 'REMEDIATED' && r.verification.status === 'joined');
  if (joined && remediated) {
    say(bold('The new node joined the cluster and is Ready.'));
    return true;
  }
  say(bold(`The demo did not end as it should: node joined=${joined}, report REMEDIATED+joined=${remediated}.`));
  return false;
}

async function main(): Promise<number> {
  const harness = await startHarness({ scenario: 'seed' });
  const timer = setTimeout(() => {
    process.stderr.write(`demo: no result after ${DEADLINE_MS / 1000} s\n`);
    void harness.close().finally(() => process.exit(1));
  }, DEADLINE_MS);
  try {
    return (await tellStory(harness)) ? 0 : 1;
  } finally {
    clearTimeout(timer);
    await harness.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
