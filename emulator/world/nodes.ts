/**
 * Kubernetes Node objects shaped like the ones an EKS managed node group registers
 * (labels, providerID, conditions, nodeInfo), built from the instance that registers (pure).
 */
import type { InstanceRecord, NodegroupRecord } from './state';

export type KubernetesNode = Record<string, unknown>;

interface Capacity {
  cpu: string;
  memoryKi: number;
  pods: number;
}

/** Enough of the instance-type table for realistic capacity figures. */
const CAPACITY: Record<string, Capacity> = {
  't3.small': { cpu: '2', memoryKi: 1959264, pods: 11 },
  't3.medium': { cpu: '2', memoryKi: 3943376, pods: 17 },
  't3.large': { cpu: '2', memoryKi: 8047956, pods: 35 },
  'm5.large': { cpu: '2', memoryKi: 7910348, pods: 29 },
  'm5.xlarge': { cpu: '4', memoryKi: 15896020, pods: 58 },
  'm6i.large': { cpu: '2', memoryKi: 7910348, pods: 29 },
};
const DEFAULT_CAPACITY: Capacity = { cpu: '2', memoryKi: 3943376, pods: 17 };

/** ip-10-42-192-17.us-west-2.compute.internal (us-east-1 uses ec2.internal). */
export function privateDnsName(privateIp: string, region: string): string {
  const host = `ip-${privateIp.replace(/\./g, '-')}`;
  return region === 'us-east-1' ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** us-west-2a -> usw2-az1: the zone-id label and AvailabilityZoneId fields. */
export function availabilityZoneId(availabilityZone: string): string {
  const match = /^([a-z]+)-([a-z]+)-(\d+)([a-z])$/.exec(availabilityZone);
  if (!match) return `${availabilityZone}-az1`;
  const [, area = '', direction = '', number = '', letter = 'a'] = match;
  const short = `${area.slice(0, 2)}${direction.slice(0, 1)}${number}`;
  return `${short}-az${letter.charCodeAt(0) - 96}`;
}

export interface NodeBuildInput {
  instance: InstanceRecord;
  nodegroup: NodegroupRecord;
  region: string;
  clusterVersion: string;
  uid: string;
  machineId: string;
  bootId: string;
  resourceVersion: string;
  registeredAt: Date;
  /** false: the node registered but its kubelet reports NotReady (CNI images could not be pulled) */
  ready?: boolean;
}

/** What kubelet reports while the VPC CNI (aws-node) image cannot be pulled. */
export const CNI_NOT_READY_MESSAGE =
  'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

export function buildNode(input: NodeBuildInput): KubernetesNode {
  const { instance, nodegroup, region } = input;
  const name = privateDnsName(instance.privateIp, region);
  const capacity = CAPACITY[instance.instanceType] ?? DEFAULT_CAPACITY;
  const allocatableMemoryKi = Math.round(capacity.memoryKi * 0.86);
  const timestamp = input.registeredAt.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const kubeletVersion = `v${input.clusterVersion}.4-eks-a737599`;
  const condition = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    lastHeartbeatTime: timestamp,
    lastTransitionTime: timestamp,
    reason,
    message,
  });
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name,
      uid: input.uid,
      resourceVersion: input.resourceVersion,
      creationTimestamp: timestamp,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': instance.instanceType,
        'beta.kubernetes.io/os': 'linux',
        'eks.amazonaws.com/capacityType': nodegroup.capacityType,
        'eks.amazonaws.com/nodegroup': nodegroup.nodegroupName,
        'eks.amazonaws.com/nodegroup-image': instance.imageId,
        'failure-domain.beta.kubernetes.io/region': region,
        'failure-domain.beta.kubernetes.io/zone': instance.availabilityZone,
        'k8s.io/cloud-provider-aws': input.machineId.slice(0, 32),
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': instance.instanceType,
        'topology.k8s.aws/zone-id': availabilityZoneId(instance.availabilityZone),
        'topology.kubernetes.io/region': region,
        'topology.kubernetes.io/zone': instance.availabilityZone,
        ...nodegroup.labels,
      },
      annotations: {
        'alpha.kubernetes.io/provided-node-ip': instance.privateIp,
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      providerID: `aws:///${instance.availabilityZone}/${instance.instanceId}`,
      ...(nodegroup.taints.length ? { taints: nodegroup.taints } : {}),
    },
    status: {
      capacity: {
        cpu: capacity.cpu,
        'ephemeral-storage': '20893676Ki',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${capacity.memoryKi}Ki`,
        pods: String(capacity.pods),
      },
      allocatable: {
        cpu: `${Number(capacity.cpu) * 1000 - 70}m`,
        'ephemeral-storage': '18181869946',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: `${allocatableMemoryKi}Ki`,
        pods: String(capacity.pods),
      },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        input.ready === false
          ? condition('Ready', 'False', 'KubeletNotReady', CNI_NOT_READY_MESSAGE)
          : condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: instance.privateIp },
        { type: 'InternalDNS', address: name },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: input.machineId,
        systemUUID: `${input.machineId.slice(0, 8)}-${input.machineId.slice(8, 12)}-${input.machineId.slice(12, 16)}-${input.machineId.slice(16, 20)}-${input.machineId.slice(20, 32)}`,
        bootID: input.bootId,
        kernelVersion: '6.1.158-180.294.amzn2023.x86_64',
        osImage: 'Amazon Linux 2023.9.20251208',
        containerRuntimeVersion: 'containerd://2.1.5',
        kubeletVersion,
        kubeProxyVersion: kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}
