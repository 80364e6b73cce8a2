/**
 * The EksPort adapter: clusters and managed node groups. EKS has modelled exceptions, so they
 * are mapped by `instanceof`: a missing cluster/node group is a NotFoundError (the engine
 * reports SKIPPED), a busy node group a ResourceInUseError (execute waits and retries).
 */
import {
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  NotFoundException,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
  paginateListAccessEntries,
  paginateListClusters,
  paginateListNodegroups,
  type Cluster,
  type Nodegroup,
} from '@aws-sdk/client-eks';
import { NotFoundError, ResourceInUseError } from '../errors';
import type { AccessEntryInfo } from '../identity-model';
import type { ClusterInfo, NodegroupInfo, ScalingConfig } from '../model';
import type { EksPort } from '../ports';
import { awsCallError, awsClientConfig, instrumented, type AwsClientOptions } from './clients';

// --- Pure mapping from SDK shapes to the model ---------------------------------------------------

export function clusterInfoFromCluster(cluster: Cluster, requestedName: string): ClusterInfo {
  const vpc = cluster.resourcesVpcConfig;
  const info: ClusterInfo = {
    name: cluster.name ?? requestedName,
    status: cluster.status ?? 'UNKNOWN',
    vpcId: vpc?.vpcId ?? '',
    endpointPublicAccess: vpc?.endpointPublicAccess ?? false,
    endpointPrivateAccess: vpc?.endpointPrivateAccess ?? false,
  };
  if (vpc?.publicAccessCidrs) info.publicAccessCidrs = vpc.publicAccessCidrs;
  if (vpc?.clusterSecurityGroupId) info.clusterSecurityGroupId = vpc.clusterSecurityGroupId;
  if (vpc?.securityGroupIds) info.securityGroupIds = vpc.securityGroupIds;
  if (cluster.endpoint) info.endpoint = cluster.endpoint;
  if (cluster.certificateAuthority?.data) info.certificateAuthorityData = cluster.certificateAuthority.data;
  if (cluster.accessConfig?.authenticationMode) info.authenticationMode = cluster.accessConfig.authenticationMode;
  if (cluster.health) {
    info.healthIssues = (cluster.health.issues ?? []).map((issue) => ({
      code: issue.code ?? 'Unknown',
      ...(issue.message ? { message: issue.message } : {}),
      resourceIds: issue.resourceIds ?? [],
    }));
  }
  return info;
}

export function nodegroupInfoFromNodegroup(nodegroup: Nodegroup, clusterName: string, nodegroupName: string): NodegroupInfo {
  const scaling = nodegroup.scalingConfig;
  return {
    clusterName: nodegroup.clusterName ?? clusterName,
    nodegroupName: nodegroup.nodegroupName ?? nodegroupName,
    status: nodegroup.status ?? 'UNKNOWN',
    subnetIds: nodegroup.subnets ?? [],
    scalingConfig: {
      minSize: scaling?.minSize ?? 0,
      maxSize: scaling?.maxSize ?? 0,
      desiredSize: scaling?.desiredSize ?? 0,
    },
    tags: { ...(nodegroup.tags ?? {}) },
    autoScalingGroupNames: (nodegroup.resources?.autoScalingGroups ?? []).map((g) => g.name ?? '').filter((n) => n !== ''),
    healthIssues: (nodegroup.health?.issues ?? []).map((issue) => ({
      code: issue.code ?? 'Unknown',
      ...(issue.message ? { message: issue.message } : {}),
      resourceIds: issue.resourceIds ?? [],
    })),
    ...(nodegroup.nodeRole ? { nodeRole: nodegroup.nodeRole } : {}),
    ...(nodegroup.amiType ? { amiType: nodegroup.amiType } : {}),
  };
}

// --- The adapter ---------------------------------------------------------------------------------

export class EksAdapter implements EksPort {
  private readonly client: EKSClient;

  constructor(client?: EKSClient, options: AwsClientOptions = {}) {
    this.client = client ?? instrumented(new EKSClient(awsClientConfig(options)), options);
  }

  async listClusters(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const page of paginateListClusters({ client: this.client, stopOnSameToken: true }, {})) {
        names.push(...(page.clusters ?? []));
      }
    } catch (error) {
      throw mapEksError('ListClusters', error, 'clusters');
    }
    return names;
  }

  async describeCluster(clusterName: string): Promise<ClusterInfo> {
    try {
      const output = await this.client.send(new DescribeClusterCommand({ name: clusterName }));
      if (!output.cluster) throw new NotFoundError(`cluster ${clusterName} was not found`, clusterName);
      return clusterInfoFromCluster(output.cluster, clusterName);
    } catch (error) {
      throw mapEksError('DescribeCluster', error, clusterName, `cluster ${clusterName} was not found`);
    }
  }

  async listNodegroups(clusterName: string): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const page of paginateListNodegroups({ client: this.client, stopOnSameToken: true }, { clusterName })) {
        names.push(...(page.nodegroups ?? []));
      }
    } catch (error) {
      throw mapEksError('ListNodegroups', error, clusterName, `cluster ${clusterName} was not found`);
    }
    return names;
  }

  async describeNodegroup(clusterName: string, nodegroupName: string): Promise<NodegroupInfo> {
    const notFound = `node group ${nodegroupName} of cluster ${clusterName} was not found`;
    try {
      const output = await this.client.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
      if (!output.nodegroup) throw new NotFoundError(notFound, nodegroupName);
      return nodegroupInfoFromNodegroup(output.nodegroup, clusterName, nodegroupName);
    } catch (error) {
      throw mapEksError('DescribeNodegroup', error, nodegroupName, notFound);
    }
  }

  async updateNodegroupScaling(clusterName: string, nodegroupName: string, scaling: ScalingConfig): Promise<string> {
    try {
      const output = await this.client.send(
        new UpdateNodegroupConfigCommand({
          clusterName,
          nodegroupName,
          scalingConfig: { minSize: scaling.minSize, maxSize: scaling.maxSize, desiredSize: scaling.desiredSize },
        }),
      );
      return output.update?.id ?? '';
    } catch (error) {
      throw mapEksError('UpdateNodegroupConfig', error, nodegroupName, `node group ${nodegroupName} of cluster ${clusterName} was not found`);
    }
  }

  async listAccessEntries(clusterName: string): Promise<string[]> {
    const arns: string[] = [];
    try {
      for await (const page of paginateListAccessEntries({ client: this.client, stopOnSameToken: true }, { clusterName })) {
        arns.push(...(page?.accessEntries ?? []));
      }
    } catch (error) {
      throw mapEksError('ListAccessEntries', error, clusterName, `cluster ${clusterName} was not found`);
    }
    return arns;
  }

  async describeAccessEntry(clusterName: string, principalArn: string): Promise<AccessEntryInfo | undefined> {
    try {
      const output = await this.client.send(new DescribeAccessEntryCommand({ clusterName, principalArn }));
      const entry = output?.accessEntry;
      if (!entry) return undefined;
      return {
        principalArn: entry.principalArn ?? principalArn,
        type: entry.type ?? 'STANDARD',
        kubernetesGroups: entry.kubernetesGroups ?? [],
        ...(entry.username ? { username: entry.username } : {}),
      };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw mapEksError('DescribeAccessEntry', error, principalArn);
    }
  }

  async createAccessEntry(clusterName: string, principalArn: string, type: string, clientRequestToken?: string): Promise<void> {
    try {
      await this.client.send(
        new CreateAccessEntryCommand({ clusterName, principalArn, type, ...(clientRequestToken ? { clientRequestToken } : {}) }),
      );
    } catch (error) {
      throw mapEksError('CreateAccessEntry', error, principalArn, `cluster ${clusterName} was not found`);
    }
  }
}

function mapEksError(operation: string, error: unknown, resourceId: string, notFoundMessage?: string): Error {
  if (error instanceof NotFoundError || error instanceof ResourceInUseError) return error;
  if (error instanceof ResourceNotFoundException || error instanceof NotFoundException) {
    return new NotFoundError(notFoundMessage ?? `${operation}: ${error.message}`, resourceId, { cause: error });
  }
  if (error instanceof ResourceInUseException) {
    return new ResourceInUseError(`${operation}: ${resourceId} is busy: ${error.message}`, { cause: error });
  }
  return awsCallError(operation, error);
}

export function createEksAdapter(options: AwsClientOptions = {}): EksAdapter {
  return new EksAdapter(undefined, options);
}
