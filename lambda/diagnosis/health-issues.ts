/**
 * NODEGROUP_HEALTH_ISSUE and CLUSTER_HEALTH_ISSUE: what EKS itself reports in `health.issues`
 * of DescribeNodegroup / DescribeCluster, with each code's meaning and fix. NodeCreationFailure
 * is the symptom registration already reads (NODES_NOT_REGISTERED), so it is not repeated here.
 * Codes and meanings: EKS API reference, Issue / ClusterIssue, and the EKS User Guide
 * "Managed node group errors" / "Cluster health".
 */
import type { HealthIssue, Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';
import { NODE_CREATION_FAILURE } from './registration';

interface Explanation {
  meaning: string;
  fix: string;
}

/** Placeholders: {cluster}, {nodegroup}, {region}. */
const NODEGROUP_CODES: Record<string, Explanation> = {
  AccessDenied: { meaning: 'EKS or the node role lacks permissions for an operation on the node group', fix: 'check the node group service-linked role AWSServiceRoleForAmazonEKSNodegroup and the node role policies; see aws eks describe-nodegroup --cluster-name {cluster} --nodegroup-name {nodegroup} --query nodegroup.health' },
  AmiIdNotFound: { meaning: 'the AMI of the launch template no longer exists', fix: 'point the launch template at an existing AMI, then aws eks update-nodegroup-version --cluster-name {cluster} --nodegroup-name {nodegroup}' },
  AsgInstanceLaunchFailures: { meaning: 'the Auto Scaling group fails to launch instances', fix: 'read the failed activities: aws autoscaling describe-scaling-activities --auto-scaling-group-name <asg>' },
  AutoScalingGroupInvalidConfiguration: { meaning: 'the Auto Scaling group was changed outside EKS', fix: 'undo the manual change of the node group\'s Auto Scaling group (EKS owns it)' },
  AutoScalingGroupNotFound: { meaning: 'the node group\'s Auto Scaling group was deleted', fix: 'recreate the node group: aws eks delete-nodegroup then create-nodegroup' },
  AutoScalingGroupOptInRequired: { meaning: 'the account is not opted in to the Auto Scaling launch configuration used', fix: 'opt in / use a supported launch template' },
  AutoScalingGroupRateLimitExceeded: { meaning: 'Auto Scaling throttled the node group\'s calls', fix: 'wait and retry; reduce concurrent scaling activity' },
  ClusterUnreachable: { meaning: 'EKS cannot reach the cluster\'s Kubernetes API to manage the node group', fix: 'check the cluster endpoint access and the cluster security group' },
  Ec2InstanceTypeDoesNotExist: { meaning: 'an instance type of the node group does not exist in this region', fix: 'use available instance types (aws ec2 describe-instance-type-offerings) in a new node group' },
  Ec2LaunchTemplateDeletionFailure: { meaning: 'EKS could not delete the launch template it made', fix: 'delete the launch template by hand' },
  Ec2LaunchTemplateInvalidConfiguration: { meaning: 'the launch template has settings managed node groups do not accept', fix: 'fix the launch template (no IamInstanceProfile/network interfaces that conflict), then update the node group version' },
  Ec2LaunchTemplateMaxLimitExceeded: { meaning: 'the account reached its launch template limit', fix: 'delete unused launch templates or request a limit increase' },
  Ec2LaunchTemplateNotFound: { meaning: 'the node group\'s launch template was deleted', fix: 'recreate the launch template with the same id cannot be done: create a new node group' },
  Ec2LaunchTemplateVersionMaxLimitExceeded: { meaning: 'the launch template has too many versions', fix: 'delete old launch template versions' },
  Ec2LaunchTemplateVersionMismatch: { meaning: 'the Auto Scaling group uses a launch template version other than the node group\'s', fix: 'aws eks update-nodegroup-version --cluster-name {cluster} --nodegroup-name {nodegroup} --launch-template name=<lt>,version=<version>' },
  Ec2SecurityGroupDeletionFailure: { meaning: 'EKS could not delete the remote access security group', fix: 'remove the dependencies of the security group, then delete it' },
  Ec2SecurityGroupNotFound: { meaning: 'a security group of the node group was deleted', fix: 'create a new node group (or launch template version) with existing security groups' },
  Ec2SubnetInvalidConfiguration: { meaning: 'a subnet does not auto-assign public IPs although it routes to an internet gateway', fix: 'aws ec2 modify-subnet-attribute --subnet-id <subnet> --map-public-ip-on-launch (or route it through a NAT gateway)' },
  Ec2SubnetListTooLong: { meaning: 'too many subnets were given to the node group', fix: 'create the node group with fewer subnets' },
  Ec2SubnetMissingIpv6Assignment: { meaning: 'an IPv6 cluster\'s subnet does not assign IPv6 addresses', fix: 'aws ec2 modify-subnet-attribute --subnet-id <subnet> --assign-ipv6-address-on-creation' },
  Ec2SubnetNotFound: { meaning: 'a subnet of the node group was deleted', fix: 'create a new node group with existing subnets' },
  IamInstanceProfileNotFound: { meaning: 'the instance profile of the node group was deleted', fix: 'recreate the node group (EKS makes the profile) or restore the launch template\'s profile' },
  IamLimitExceeded: { meaning: 'an IAM quota was reached', fix: 'delete unused IAM resources or request an increase' },
  IamNodeRoleNotFound: { meaning: 'the node role of the node group was deleted', fix: 'recreate the role with the same name (trust ec2.amazonaws.com, AmazonEKSWorkerNodePolicy, AmazonEC2ContainerRegistryReadOnly, AmazonEKS_CNI_Policy)' },
  IamThrottling: { meaning: 'IAM throttled EKS\'s calls', fix: 'wait and retry' },
  InstanceLimitExceeded: { meaning: 'the account cannot run more instances of the requested type', fix: 'request an EC2 quota increase (Service Quotas) or use other instance types' },
  InsufficientFreeAddresses: { meaning: 'the node group\'s subnets have no free IP addresses', fix: 'add subnets with free addresses to a new node group, or free addresses in the subnets' },
  InternalFailure: { meaning: 'an internal EKS error', fix: 'retry the operation; if it persists, open an AWS support case' },
  KubernetesLabelInvalid: { meaning: 'a label of the node group is not a valid Kubernetes label', fix: 'aws eks update-nodegroup-config --cluster-name {cluster} --nodegroup-name {nodegroup} --labels removeLabels=<key>' },
  LimitExceeded: { meaning: 'an AWS limit was reached for the node group', fix: 'request the quota increase named in the message' },
  NodeTerminationFailure: { meaning: 'EKS could not terminate an instance of the node group', fix: 'check the instance\'s termination protection and scale-in protection' },
  PodEvictionFailure: { meaning: 'pods could not be evicted during an update (PodDisruptionBudget)', fix: 'relax the blocking PodDisruptionBudget or update with --force' },
  SourceEc2LaunchTemplateNotFound: { meaning: 'the source launch template of the node group was deleted', fix: 'create a new launch template and update the node group to use it' },
  AutoScalingGroupInstanceRefreshActive: { meaning: 'an instance refresh is running on the Auto Scaling group', fix: 'wait for the instance refresh to finish or cancel it' },
  Unknown: { meaning: 'EKS reports an unspecified issue', fix: 'read the message: aws eks describe-nodegroup --cluster-name {cluster} --nodegroup-name {nodegroup} --query nodegroup.health' },
};

const CLUSTER_CODES: Record<string, Explanation> = {
  StsRegionalEndpointDisabled: { meaning: 'the regional STS endpoint is deactivated in this account, so EKS (and nodes) cannot get credentials in {region}', fix: 'IAM console > Account settings > Security Token Service (STS) > Endpoints: activate {region}' },
  AccessDenied: { meaning: 'the cluster role lacks permissions EKS needs', fix: 'attach AmazonEKSClusterPolicy to the cluster role and check its trust policy (eks.amazonaws.com)' },
  ClusterUnreachable: { meaning: 'EKS cannot reach the cluster\'s control plane network', fix: 'check the cluster subnets and security groups' },
  ConfigurationConflict: { meaning: 'the cluster configuration conflicts with other resources', fix: 'read the message and resolve the conflict it names' },
  InternalFailure: { meaning: 'an internal EKS error', fix: 'retry; if it persists, open an AWS support case' },
  ResourceLimitExceeded: { meaning: 'an account limit prevents a cluster operation', fix: 'request the quota increase named in the message' },
  ResourceNotFound: { meaning: 'a resource the cluster uses was deleted', fix: 'restore the resource named in the message' },
  IamRoleNotFound: { meaning: 'the cluster role was deleted', fix: 'recreate the cluster role with the same name and AmazonEKSClusterPolicy' },
  VpcNotFound: { meaning: 'the cluster\'s VPC was deleted', fix: 'the cluster cannot recover: recreate it' },
  InsufficientFreeAddresses: { meaning: 'the cluster subnets have too few free addresses for control plane network interfaces', fix: 'aws eks update-cluster-config --resources-vpc-config subnetIds=<subnets with free addresses>' },
  Ec2ServiceNotSubscribed: { meaning: 'the account is not subscribed to EC2', fix: 'complete the account\'s EC2 sign-up' },
  Ec2SubnetNotFound: { meaning: 'a cluster subnet was deleted', fix: 'aws eks update-cluster-config --resources-vpc-config subnetIds=<existing subnets>' },
  Ec2SecurityGroupNotFound: { meaning: 'a cluster security group was deleted', fix: 'aws eks update-cluster-config --resources-vpc-config securityGroupIds=<existing groups>' },
  KmsGrantRevoked: { meaning: 'the grant on the secrets encryption KMS key was revoked', fix: 'restore the KMS grant for the cluster role' },
  KmsKeyNotFound: { meaning: 'the secrets encryption KMS key was deleted', fix: 'the key cannot be restored after deletion: contact AWS support' },
  KmsKeyMarkedForDeletion: { meaning: 'the secrets encryption KMS key is scheduled for deletion', fix: 'aws kms cancel-key-deletion --key-id <key>' },
  KmsKeyDisabled: { meaning: 'the secrets encryption KMS key is disabled', fix: 'aws kms enable-key --key-id <key>' },
  UnsupportedVersion: { meaning: 'the cluster runs a Kubernetes version past its support', fix: 'aws eks update-cluster-version --name {cluster} --kubernetes-version <next>' },
  Other: { meaning: 'EKS reports an issue not covered by another code', fix: 'read the message: aws eks describe-cluster --name {cluster} --query cluster.health' },
};

function explain(table: Record<string, Explanation>, code: string, snapshot: Snapshot): Explanation {
  const found = table[code] ?? { meaning: `EKS reports ${code}`, fix: 'read the issue message and the EKS troubleshooting guide for this code' };
  const fill = (text: string) =>
    text.replace(/\{cluster\}/g, snapshot.cluster.name).replace(/\{nodegroup\}/g, snapshot.nodegroup.nodegroupName).replace(/\{region\}/g, snapshot.region);
  return { meaning: fill(found.meaning), fix: fill(found.fix) };
}

/** Error while instances are missing (unregistered ones, or fewer live than desired); a warning otherwise. */
function severityOf(snapshot: Snapshot, context: CheckContext): 'error' | 'warning' {
  const live = snapshot.instances.filter((i) => i.state === 'pending' || i.state === 'running').length;
  const short = snapshot.nodegroup.scalingConfig.desiredSize > live;
  return context.unregisteredInstanceIds.length > 0 || short ? 'error' : 'warning';
}

function finding(
  code: 'NODEGROUP_HEALTH_ISSUE' | 'CLUSTER_HEALTH_ISSUE',
  resourceId: string,
  issue: HealthIssue,
  explanation: Explanation,
  severity: 'error' | 'warning',
): Finding {
  const what = code === 'NODEGROUP_HEALTH_ISSUE' ? 'node group' : 'cluster';
  return {
    code,
    severity,
    resourceId,
    message: `The ${what} ${resourceId} reports ${issue.code}: ${explanation.meaning}.${issue.message ? ` EKS says: "${issue.message}"` : ''}`,
    remediable: false,
    evidence: { code: issue.code, message: issue.message ?? null, resourceIds: issue.resourceIds, meaning: explanation.meaning, fix: explanation.fix },
  };
}

export function checkNodegroupHealth(snapshot: Snapshot, context: CheckContext): Finding[] {
  const severity = severityOf(snapshot, context);
  return snapshot.nodegroup.healthIssues
    .filter((issue) => issue.code !== NODE_CREATION_FAILURE)
    .map((issue) => finding('NODEGROUP_HEALTH_ISSUE', snapshot.nodegroup.nodegroupName, issue, explain(NODEGROUP_CODES, issue.code, snapshot), severity));
}

export function checkClusterHealth(snapshot: Snapshot, context: CheckContext): Finding[] {
  const severity = severityOf(snapshot, context);
  return (snapshot.cluster.healthIssues ?? []).map((issue) =>
    finding('CLUSTER_HEALTH_ISSUE', snapshot.cluster.name, issue, explain(CLUSTER_CODES, issue.code, snapshot), severity),
  );
}
