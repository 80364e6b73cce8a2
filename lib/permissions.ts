/**
 * Least-privilege IAM statements for the engine's calls, grouped by why they are scoped the way
 * they are. Each group becomes its own policy so that every cdk-nag acknowledgement names one reason.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NODEGROUP_ASG_NAME_PREFIX } from './event-patterns';

/** Tag EKS puts on every managed node group's Auto Scaling group. */
export const CLUSTER_NAME_TAG = 'eks:cluster-name';
export const NODEGROUP_NAME_TAG = 'eks:nodegroup-name';

export interface PermissionScope {
  /** Empty: every cluster of the account in the stack's region. */
  readonly clusterNames: readonly string[];
  /** Empty: route tables of any VPC. */
  readonly routeTableVpcIds: readonly string[];
  /** the opt-in CREATE_ACCESS_ENTRY (eks:CreateAccessEntry + iam:PassRole on node roles). @default false */
  readonly createNodeAccessEntry?: boolean;
  /** --read-console-output (ec2:GetConsoleOutput on node group instances). @default false */
  readonly readConsoleOutput?: boolean;
}

/** A set of statements that share one justification (and so one cdk-nag acknowledgement). */
export interface PolicyGroup {
  readonly id: string;
  readonly statements: iam.PolicyStatement[];
  /** Why some resource is a wildcard; undefined when every resource is exact. */
  readonly wildcardReason?: string;
}

/** Read calls whose IAM actions support no resource-level permissions (Resource must be `*`). */
export const UNSCOPED_READ_ACTIONS = [
  'eks:ListClusters',
  'autoscaling:DescribeAutoScalingGroups',
  'ec2:DescribeInstances',
  'ec2:DescribeSubnets',
  'ec2:DescribeRouteTables',
  'ec2:DescribeNatGateways',
  'ec2:DescribeInternetGateways',
  'ec2:DescribeVpcEndpoints',
  // network causes (DNS, security groups, network ACLs): read once per snapshot, by VPC
  'ec2:DescribeVpcs',
  'ec2:DescribeVpcAttribute',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeNetworkAcls',
  'ec2:GetManagedPrefixListEntries',
  // read-only: who changed a node's path and when (INSTANCES_BOOTED_BEFORE_FIX); no resource-level permissions
  'cloudtrail:LookupEvents',
] as const;

/** Lambda creates the function's network interfaces with the execution role (VPC functions only). */
export const VPC_NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

export function remediatorPolicyGroups(stack: Stack, scope: PermissionScope): PolicyGroup[] {
  const allClusters = scope.clusterNames.length === 0;
  const clusterArns = allClusters
    ? [stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: '*' })]
    : scope.clusterNames.map((name) => stack.formatArn({ service: 'eks', resource: 'cluster', resourceName: name }));
  // nodegroup/<cluster>/<nodegroup>/<uuid>
  const nodegroupArns = allClusters
    ? [stack.formatArn({ service: 'eks', resource: 'nodegroup', resourceName: '*/*/*' })]
    : scope.clusterNames.map((name) => stack.formatArn({ service: 'eks', resource: 'nodegroup', resourceName: `${name}/*/*` }));
  const clusterScopeReason = allClusters
    ? 'No cluster allow-list was given (clusterNames), so the function may work on any cluster of the region; list the clusters to scope these ARNs.'
    : 'Node group ARNs end with names and UUIDs that EKS assigns at creation; the cluster part is pinned to the allow-list.';

  const autoScalingGroupArn = stack.formatArn({
    service: 'autoscaling',
    resource: 'autoScalingGroup',
    resourceName: `*:autoScalingGroupName/${NODEGROUP_ASG_NAME_PREFIX}*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const terminateCondition = allClusters
    ? { Null: { [`autoscaling:ResourceTag/${CLUSTER_NAME_TAG}`]: 'false', [`autoscaling:ResourceTag/${NODEGROUP_NAME_TAG}`]: 'false' } }
    : {
        StringEquals: { [`autoscaling:ResourceTag/${CLUSTER_NAME_TAG}`]: [...scope.clusterNames] },
        Null: { [`autoscaling:ResourceTag/${NODEGROUP_NAME_TAG}`]: 'false' },
      };

  const routeTableArn = stack.formatArn({ service: 'ec2', resource: 'route-table', resourceName: '*' });
  const routeCondition =
    scope.routeTableVpcIds.length === 0
      ? undefined
      : {
          StringEquals: {
            'ec2:Vpc': scope.routeTableVpcIds.map((vpcId) => stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: vpcId })),
          },
        };

  const accessEntryArns = allClusters
    ? [stack.formatArn({ service: 'eks', resource: 'access-entry', resourceName: '*/*' })]
    : scope.clusterNames.map((name) => stack.formatArn({ service: 'eks', resource: 'access-entry', resourceName: `${name}/*` }));
  const roleArns = [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })];
  const instanceProfileArns = [stack.formatArn({ service: 'iam', region: '', resource: 'instance-profile', resourceName: '*' })];
  const identityGroups: PolicyGroup[] = [
    {
      id: 'NodeIdentityReadPolicy',
      statements: [
        new iam.PolicyStatement({ sid: 'ListAccessEntriesOfAllowedClusters', actions: ['eks:ListAccessEntries'], resources: clusterArns }),
        new iam.PolicyStatement({ sid: 'ReadAccessEntriesOfAllowedClusters', actions: ['eks:DescribeAccessEntry'], resources: accessEntryArns }),
        new iam.PolicyStatement({ sid: 'ReadNodeRoles', actions: ['iam:GetRole', 'iam:SimulatePrincipalPolicy'], resources: roleArns }),
        new iam.PolicyStatement({ sid: 'ReadNodeInstanceProfiles', actions: ['iam:GetInstanceProfile'], resources: instanceProfileArns }),
      ],
      wildcardReason:
        "The node role and instance profile of a node group are only known at run time (DescribeNodegroup nodeRole, the instances' IamInstanceProfile); the IAM statements are read-only and limited to roles and instance profiles of this account. Access entry ARNs end with an id EKS assigns.",
    },
  ];
  if (scope.readConsoleOutput) {
    identityGroups.push({
      id: 'ConsoleOutputPolicy',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadConsoleOfNodegroupInstances',
          actions: ['ec2:GetConsoleOutput'],
          resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
          conditions: allClusters
            ? { Null: { [`aws:ResourceTag/${CLUSTER_NAME_TAG}`]: 'false' } }
            : { StringEquals: { [`aws:ResourceTag/${CLUSTER_NAME_TAG}`]: [...scope.clusterNames] } },
        }),
      ],
      wildcardReason:
        'Instance ids are known only at run time; the statement is conditioned on the eks:cluster-name tag EKS puts on node group instances (the allow-list when given). Only matched failure lines are kept from the console.',
    });
  }
  if (scope.createNodeAccessEntry) {
    identityGroups.push({
      id: 'NodeAccessEntryPolicy',
      statements: [
        new iam.PolicyStatement({
          sid: 'CreateNodeRoleAccessEntries',
          actions: ['eks:CreateAccessEntry'],
          resources: clusterArns,
          // Only IAM roles of this account may be given an entry (node roles); the engine's rule 12
          // further limits it to the node group's own nodeRole with type EC2_LINUX / EC2_WINDOWS.
          conditions: { ArnLike: { 'eks:principalArn': [stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: '*' })] } },
        }),
        new iam.PolicyStatement({
          sid: 'PassNodeRoleToEks',
          // EKS requires iam:PassRole on the principal of an EC2_LINUX / EC2_WINDOWS access entry.
          actions: ['iam:PassRole'],
          resources: roleArns,
          conditions: { StringEquals: { 'iam:PassedToService': 'eks.amazonaws.com' } },
        }),
      ],
      wildcardReason:
        'The node role that lacks an access entry is found at run time; CreateAccessEntry is limited to the allowed clusters and to IAM roles of this account as principals, PassRole to EKS only.',
    });
  }

  return [
    ...identityGroups,
    {
      id: 'DiscoveryPolicy',
      statements: [
        new iam.PolicyStatement({ sid: 'DescribeWithoutResourceLevelPermissions', actions: [...UNSCOPED_READ_ACTIONS], resources: ['*'] }),
      ],
      wildcardReason:
        'eks:ListClusters and the EC2 / Auto Scaling Describe* calls do not support resource-level permissions: the Service Authorization Reference requires Resource "*". All are read-only.',
    },
    {
      id: 'ClusterPolicy',
      statements: [
        new iam.PolicyStatement({ sid: 'ReadAllowedClusters', actions: ['eks:DescribeCluster', 'eks:ListNodegroups'], resources: clusterArns }),
        new iam.PolicyStatement({ sid: 'ReadNodegroupsOfAllowedClusters', actions: ['eks:DescribeNodegroup'], resources: nodegroupArns }),
        new iam.PolicyStatement({ sid: 'ScaleNodegroupsOfAllowedClusters', actions: ['eks:UpdateNodegroupConfig'], resources: nodegroupArns }),
      ],
      wildcardReason: clusterScopeReason,
    },
    {
      id: 'InstanceRecyclePolicy',
      statements: [
        new iam.PolicyStatement({
          sid: 'TerminateOnlyNodegroupInstances',
          actions: ['autoscaling:TerminateInstanceInAutoScalingGroup'],
          resources: [autoScalingGroupArn],
          conditions: terminateCondition,
        }),
      ],
      wildcardReason:
        'Auto Scaling group ARNs embed a UUID and EKS names the group eks-<nodegroup>-<uuid> at creation; the statement is conditioned on the group\'s eks:cluster-name tag (the allow-list) and requires the eks:nodegroup-name tag, so only managed node group instances can be terminated.',
    },
    {
      id: 'RoutePolicy',
      statements: [
        new iam.PolicyStatement({
          sid: 'WriteDefaultRoute',
          actions: ['ec2:CreateRoute', 'ec2:ReplaceRoute'],
          resources: [routeTableArn],
          conditions: routeCondition,
        }),
      ],
      wildcardReason:
        scope.routeTableVpcIds.length === 0
          ? 'The route table to fix is found at run time from the node group\'s subnets; the engine\'s safety rules (contract section 3) decide which table and route. Set routeTableVpcIds to limit it to given VPCs.'
          : 'The route table to fix is found at run time from the node group\'s subnets; the ec2:Vpc condition limits it to the listed VPCs.',
    },
  ];
}

/** The ledger table's item calls (lambda/aws/dynamodb.ts, lib-dynamodb Put/Get/Delete/Query). */
export const LEDGER_TABLE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:Query'] as const;
/** The function's own one-time re-check schedules (lambda/aws/scheduler.ts). */
export const RECHECK_SCHEDULE_ACTIONS = ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'] as const;
/** Service that the re-check role may be passed to (iam:PassedToService). */
export const SCHEDULER_SERVICE = 'scheduler.amazonaws.com';

/** What the deployed shape's state lives in (contract section 8), by ARN or name (tokens are fine). */
export interface FleetStateResources {
  /** The leases + remediation ledger table (lambda/ledger/schema.ts). */
  readonly ledgerTableArn: string;
  /** The schedule group holding the function's re-checks. */
  readonly scheduleGroupName: string;
  /** The role EventBridge Scheduler assumes to invoke the function. */
  readonly schedulerRoleArn: string;
}

/**
 * Leases and the remediation ledger (item calls on the one table, no Scan, no index), the
 * function's own re-check schedules (only in its group), and passing the scheduler role to
 * EventBridge Scheduler only. Scheduler checks iam:PassRole on the role given in CreateSchedule
 * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role).
 */
export function fleetStateGroup(stack: Stack, resources: FleetStateResources): PolicyGroup {
  return {
    id: 'FleetStatePolicy',
    statements: [
      new iam.PolicyStatement({ sid: 'LeasesAndLedger', actions: [...LEDGER_TABLE_ACTIONS], resources: [resources.ledgerTableArn] }),
      new iam.PolicyStatement({
        sid: 'OwnRecheckSchedules',
        actions: [...RECHECK_SCHEDULE_ACTIONS],
        resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${resources.scheduleGroupName}/*` })],
      }),
      new iam.PolicyStatement({
        sid: 'PassSchedulerRole',
        actions: ['iam:PassRole'],
        resources: [resources.schedulerRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': SCHEDULER_SERVICE } },
      }),
    ],
    wildcardReason:
      'Re-check schedules are named at run time (one per node group and due time); the statement is limited to the schedules of the function\'s own schedule group.',
  };
}

export function vpcNetworkInterfaceGroup(): PolicyGroup {
  return {
    id: 'VpcNetworkInterfacePolicy',
    statements: [
      new iam.PolicyStatement({ sid: 'ManageFunctionNetworkInterfaces', actions: [...VPC_NETWORK_INTERFACE_ACTIONS], resources: ['*'] }),
    ],
    wildcardReason:
      'Lambda creates and deletes the function\'s elastic network interfaces with the execution role; their ids are not known in advance and ec2:DescribeNetworkInterfaces has no resource-level permissions (same actions as AWSLambdaVPCAccessExecutionRole).',
  };
}
