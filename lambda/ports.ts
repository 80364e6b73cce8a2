/**
 * What the engine needs from the outside world. Each port is implemented by exactly one
 * adapter (lambda/aws/*.ts, lambda/kubernetes/client.ts) — the only files that talk to an SDK
 * or a socket. Tests may implement ports directly; handler tests mock the SDK clients instead.
 */
import type {
  AutoScalingGroupInfo,
  ClusterInfo,
  InstanceInfo,
  InternetGatewayInfo,
  NatGatewayInfo,
  NodeInfo,
  NodegroupInfo,
  RouteTableInfo,
  ScalingConfig,
  SubnetInfo,
  VpcEndpointInfo,
} from './model';

export interface EksPort {
  listClusters(): Promise<string[]>;
  describeCluster(clusterName: string): Promise<ClusterInfo>;
  listNodegroups(clusterName: string): Promise<string[]>;
  /** throws NotFoundError when the node group does not exist */
  describeNodegroup(clusterName: string, nodegroupName: string): Promise<NodegroupInfo>;
  /** UpdateNodegroupConfig with a new scaling config; returns the update id */
  updateNodegroupScaling(clusterName: string, nodegroupName: string, scaling: ScalingConfig): Promise<string>;
}

export interface Ec2Port {
  /** batched; pages through all results */
  describeInstances(instanceIds: string[]): Promise<InstanceInfo[]>;
  describeSubnets(subnetIds: string[]): Promise<SubnetInfo[]>;
  /** every route table of the VPC, with `main` and explicit subnet associations resolved */
  describeRouteTables(vpcId: string): Promise<RouteTableInfo[]>;
  describeRouteTable(routeTableId: string): Promise<RouteTableInfo>;
  describeNatGateways(vpcId: string): Promise<NatGatewayInfo[]>;
  describeInternetGateways(vpcId: string): Promise<InternetGatewayInfo[]>;
  describeVpcEndpoints(vpcId: string): Promise<VpcEndpointInfo[]>;
  /** throws RouteAlreadyExistsError when a 0.0.0.0/0 route is already there */
  createDefaultRoute(routeTableId: string, natGatewayId: string): Promise<void>;
  replaceDefaultRoute(routeTableId: string, natGatewayId: string): Promise<void>;
}

export interface AutoScalingPort {
  describeAutoScalingGroups(names: string[]): Promise<AutoScalingGroupInfo[]>;
  /** TerminateInstanceInAutoScalingGroup with ShouldDecrementDesiredCapacity=false */
  terminateInstanceKeepCapacity(instanceId: string): Promise<void>;
}

/** Where and how to reach one cluster's Kubernetes API. */
export interface KubernetesTarget {
  clusterName: string;
  endpoint: string;
  /** base64 PEM bundle from DescribeCluster */
  certificateAuthorityData: string;
  region: string;
}

export interface KubernetesPort {
  /** GET /api/v1/nodes?labelSelector=eks.amazonaws.com/nodegroup=<name>, all pages */
  listNodegroupNodes(target: KubernetesTarget, nodegroupName: string): Promise<NodeInfo[]>;
}

export interface Ports {
  eks: EksPort;
  ec2: Ec2Port;
  autoscaling: AutoScalingPort;
  kubernetes: KubernetesPort;
}

/** Where finished reports go besides the log (SNS in Lambda; nothing in the CLI). */
export interface ReportPublisher {
  publish(subject: string, message: string): Promise<void>;
}
