import {
  AccessDeniedException,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  ListClustersCommand,
  ListNodegroupsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
  type DescribeClusterCommandOutput,
  type DescribeNodegroupCommandOutput,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { EksAdapter } from '../../../lambda/aws/eks';
import { AwsCallError, NotFoundError, ResourceInUseError } from '../../../lambda/errors';
import { awsResponse, WORLD } from '../../fixtures/aws/responses';

const eksMock = mockClient(EKSClient);

function adapter(): EksAdapter {
  return new EksAdapter(new EKSClient({ region: WORLD.region }));
}

beforeEach(() => {
  eksMock.reset();
});

describe('describeCluster', () => {
  it('maps VPC, endpoint, CA bundle and endpoint access', async () => {
    // Prepare
    eksMock
      .on(DescribeClusterCommand, { name: WORLD.clusterName })
      .resolves(awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.json'));

    // Act
    const cluster = await adapter().describeCluster(WORLD.clusterName);

    // Assess
    const raw = awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.json').cluster!;
    expect(cluster).toEqual({
      name: WORLD.clusterName,
      status: 'ACTIVE',
      endpoint: raw.endpoint,
      certificateAuthorityData: raw.certificateAuthority!.data,
      vpcId: WORLD.vpcId,
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      publicAccessCidrs: ['0.0.0.0/0'],
      clusterSecurityGroupId: 'sg-01c84d09d70f39a7f',
      securityGroupIds: ['sg-0c1327f6270afbb36'],
      authenticationMode: 'API_AND_CONFIG_MAP',
      healthIssues: [],
    });
  });

  it('leaves endpoint and CA out while the cluster is still being created', async () => {
    // Prepare
    eksMock.on(DescribeClusterCommand).resolves(awsResponse<DescribeClusterCommandOutput>('eks-describe-cluster.creating.json'));

    // Act
    const cluster = await adapter().describeCluster(WORLD.clusterName);

    // Assess
    expect(cluster.status).toBe('CREATING');
    expect(cluster).not.toHaveProperty('endpoint');
    expect(cluster).not.toHaveProperty('certificateAuthorityData');
    expect(cluster.endpointPublicAccess).toBe(false);
  });

  it('maps ResourceNotFoundException to NotFoundError by instanceof', async () => {
    // Prepare
    eksMock.on(DescribeClusterCommand).rejects(
      new ResourceNotFoundException({ $metadata: { httpStatusCode: 404 }, message: 'No cluster found for name: nope.', clusterName: 'nope' }),
    );

    // Act
    const result = adapter().describeCluster('nope');

    // Assess
    await expect(result).rejects.toBeInstanceOf(NotFoundError);
    await expect(result).rejects.toMatchObject({ resourceId: 'nope', message: 'cluster nope was not found' });
  });

  it('maps AccessDeniedException to AwsCallError', async () => {
    // Prepare
    eksMock.on(DescribeClusterCommand).rejects(new AccessDeniedException({ $metadata: { httpStatusCode: 403 }, message: 'denied' }));

    // Act
    const result = adapter().describeCluster(WORLD.clusterName);

    // Assess
    await expect(result).rejects.toBeInstanceOf(AwsCallError);
    await expect(result).rejects.toMatchObject({ operation: 'DescribeCluster', awsErrorCode: 'AccessDeniedException' });
  });
});

describe('describeNodegroup', () => {
  it('maps status, subnets, scaling, tags and Auto Scaling group names', async () => {
    // Prepare
    eksMock
      .on(DescribeNodegroupCommand, { clusterName: WORLD.clusterName, nodegroupName: WORLD.nodegroupName })
      .resolves(awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json'));

    // Act
    const nodegroup = await adapter().describeNodegroup(WORLD.clusterName, WORLD.nodegroupName);

    // Assess
    expect(nodegroup).toEqual({
      clusterName: WORLD.clusterName,
      nodegroupName: WORLD.nodegroupName,
      status: 'ACTIVE',
      subnetIds: [WORLD.newSubnetId],
      scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 1 },
      tags: { team: 'platform' },
      autoScalingGroupNames: [WORLD.asgName],
      healthIssues: [],
      nodeRole: 'arn:aws:iam::123456789012:role/eks-workshop-node-role',
      amiType: 'AL2_x86_64',
    });
  });

  it('maps NodeCreationFailure health issues with their instance ids', async () => {
    // Prepare
    eksMock.on(DescribeNodegroupCommand).resolves(awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.create-failed.json'));

    // Act
    const nodegroup = await adapter().describeNodegroup(WORLD.clusterName, WORLD.nodegroupName);

    // Assess
    expect(nodegroup.status).toBe('CREATE_FAILED');
    expect(nodegroup.healthIssues).toEqual([
      {
        code: 'NodeCreationFailure',
        message: 'Instances failed to join the kubernetes cluster',
        resourceIds: [WORLD.instanceId, 'i-0b7e9973418f8ab03'],
      },
    ]);
    expect(nodegroup.tags).toEqual({ 'node-join-remediator/disabled': 'true' });
  });

  it('maps ResourceNotFoundException to NotFoundError naming the node group', async () => {
    // Prepare
    eksMock.on(DescribeNodegroupCommand).rejects(
      new ResourceNotFoundException({ $metadata: { httpStatusCode: 404 }, message: 'No node group found for name: gone.', nodegroupName: 'gone' }),
    );

    // Act
    const result = adapter().describeNodegroup(WORLD.clusterName, 'gone');

    // Assess
    await expect(result).rejects.toBeInstanceOf(NotFoundError);
    await expect(result).rejects.toMatchObject({ resourceId: 'gone' });
  });
});

describe('listClusters and listNodegroups', () => {
  it('pages through every cluster and node group', async () => {
    // Prepare
    eksMock
      .on(ListClustersCommand)
      .resolvesOnce({ clusters: ['eks-workshop', 'prod'], nextToken: 'next' })
      .resolvesOnce({ clusters: ['staging'] });
    eksMock
      .on(ListNodegroupsCommand, { clusterName: WORLD.clusterName })
      .resolvesOnce({ nodegroups: ['default'], nextToken: 'n2' })
      .resolvesOnce({ nodegroups: [WORLD.nodegroupName] });

    // Act
    const clusters = await adapter().listClusters();
    const nodegroups = await adapter().listNodegroups(WORLD.clusterName);

    // Assess
    expect(clusters).toEqual(['eks-workshop', 'prod', 'staging']);
    expect(nodegroups).toEqual(['default', WORLD.nodegroupName]);
    expect(eksMock).toHaveReceivedCommandTimes(ListClustersCommand, 2);
    expect(eksMock).toHaveReceivedCommandTimes(ListNodegroupsCommand, 2);
  });
});

describe('updateNodegroupScaling', () => {
  it('sends UpdateNodegroupConfig with the scaling config and returns the update id', async () => {
    // Prepare
    eksMock.on(UpdateNodegroupConfigCommand).resolves({
      update: { id: '3d6f5e2a-1b4c-4d8e-9f0a-1b2c3d4e5f60', status: 'InProgress', type: 'ConfigUpdate', params: [], errors: [] },
    });

    // Act
    const updateId = await adapter().updateNodegroupScaling(WORLD.clusterName, WORLD.nodegroupName, {
      minSize: 0,
      maxSize: 1,
      desiredSize: 0,
    });

    // Assess
    expect(updateId).toBe('3d6f5e2a-1b4c-4d8e-9f0a-1b2c3d4e5f60');
    expect(eksMock).toHaveReceivedCommandWith(UpdateNodegroupConfigCommand, {
      clusterName: WORLD.clusterName,
      nodegroupName: WORLD.nodegroupName,
      scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 0 },
    });
  });

  it('maps ResourceInUseException to ResourceInUseError', async () => {
    // Prepare
    eksMock.on(UpdateNodegroupConfigCommand).rejects(
      new ResourceInUseException({
        $metadata: { httpStatusCode: 409 },
        message: 'Nodegroup new_nodegroup_2 is currently being updated',
        nodegroupName: WORLD.nodegroupName,
      }),
    );

    // Act
    const result = adapter().updateNodegroupScaling(WORLD.clusterName, WORLD.nodegroupName, { minSize: 0, maxSize: 1, desiredSize: 0 });

    // Assess
    await expect(result).rejects.toBeInstanceOf(ResourceInUseError);
  });
});
