import {
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListNodegroupsCommand,
  ListUpdatesCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import { request } from 'node:https';
import type { EventBridgeEnvelope, RunningEmulator } from '../../../emulator/index';
import type { KubeClusterView } from '../../../emulator/kubernetes/server';
import { bundledScenario, type Clients, clientsFor, destroyClients, rejectionOf, SEED, startTestEmulator } from './support/harness';

describe('emulator EKS (SDK v3 over REST-JSON)', () => {
  let emulator: RunningEmulator;
  let clients: Clients;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    clients = clientsFor(emulator);
  });

  afterEach(async () => {
    destroyClients(clients);
    await emulator.close();
  });

  it('lists the cluster and its node groups', async () => {
    // Act
    const clusters = await clients.eks.send(new ListClustersCommand({}));
    const nodegroups = await clients.eks.send(new ListNodegroupsCommand({ clusterName: SEED.cluster }));
    const firstPage = await clients.eks.send(new ListNodegroupsCommand({ clusterName: SEED.cluster, maxResults: 1 }));

    // Assess
    expect(clusters.clusters).toEqual([SEED.cluster]);
    expect(nodegroups.nodegroups).toEqual([SEED.workingNodegroup, SEED.brokenNodegroup]);
    expect(firstPage.nodegroups).toEqual([SEED.workingNodegroup]);
    expect(firstPage.nextToken).toEqual(expect.any(String));
  });

  it('describes the seed node group as ACTIVE with no health issue yet, like the seed shows', async () => {
    // Act
    const out = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));

    // Assess
    expect(out.nodegroup).toMatchObject({
      nodegroupName: SEED.brokenNodegroup,
      clusterName: SEED.cluster,
      status: 'ACTIVE',
      capacityType: 'ON_DEMAND',
      scalingConfig: { minSize: 0, maxSize: 1, desiredSize: 1 },
      subnets: [SEED.newSubnetId],
      health: { issues: [] },
      tags: {},
    });
    expect(out.nodegroup?.createdAt).toBeInstanceOf(Date);
    expect(out.nodegroup?.nodegroupArn).toMatch(/^arn:aws:eks:us-west-2:123456789012:nodegroup\/eks-workshop\/new_nodegroup_2\//);
  });

  it('reports NodeCreationFailure with the instance id once an instance stays unregistered past nodeCreationFailureSeconds', async () => {
    // Act: the seed instance is 600 s old; the threshold is 1800 s
    emulator.advance(1300);
    const out = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));
    const working = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.workingNodegroup }));

    // Assess
    const instanceId = emulator.world.autoScalingGroups.get(out.nodegroup?.resources?.autoScalingGroups?.[0]?.name ?? '')?.instanceIds[0];
    expect(out.nodegroup?.health?.issues).toEqual([{ code: 'NodeCreationFailure', message: expect.any(String), resourceIds: [instanceId] }]);
    expect(working.nodegroup?.health?.issues).toEqual([]);
  });

  it('answers unknown clusters and node groups with ResourceNotFoundException', async () => {
    // Act
    const noCluster = await rejectionOf(clients.eks.send(new DescribeClusterCommand({ name: 'nope' })));
    const noNodegroup = await rejectionOf(clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: 'nope' })));

    // Assess
    expect(noCluster).toBeInstanceOf(ResourceNotFoundException);
    expect(noCluster.$metadata?.httpStatusCode).toBe(404);
    expect(noNodegroup).toBeInstanceOf(ResourceNotFoundException);
    expect(noNodegroup.message).toBe('No node group found for name: nope.');
  });

  it('UpdateNodegroupConfig: UPDATING, ResourceInUseException while busy, then ACTIVE with the update Successful', async () => {
    // Act
    const started = await clients.eks.send(
      new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 0 } }),
    );
    const during = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));
    const busy = await rejectionOf(
      clients.eks.send(new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 1 } })),
    );
    emulator.advance(1);
    const after = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));
    const update = await clients.eks.send(
      new DescribeUpdateCommand({ name: SEED.cluster, nodegroupName: SEED.brokenNodegroup, updateId: started.update?.id as string }),
    );
    const listed = await clients.eks.send(new ListUpdatesCommand({ name: SEED.cluster, nodegroupName: SEED.brokenNodegroup }));

    // Assess
    expect(started.update).toMatchObject({ status: 'InProgress', type: 'ConfigUpdate', params: [{ type: 'DesiredSize', value: '0' }], errors: [] });
    expect(during.nodegroup?.status).toBe('UPDATING');
    expect(during.nodegroup?.scalingConfig).toEqual({ minSize: 0, maxSize: 1, desiredSize: 0 });
    expect(busy).toBeInstanceOf(ResourceInUseException);
    expect(after.nodegroup?.status).toBe('ACTIVE');
    expect(update.update?.status).toBe('Successful');
    expect(listed.updateIds).toEqual([started.update?.id]);
    const asg = emulator.world.autoScalingGroups.get(after.nodegroup?.resources?.autoScalingGroups?.[0]?.name ?? '');
    expect(asg?.desiredCapacity).toBe(0);
  });

  it('refuses a desiredSize above maxSize with InvalidParameterException', async () => {
    // Act
    const error = await rejectionOf(
      clients.eks.send(new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 2 } })),
    );

    // Assess
    expect(error).toBeInstanceOf(InvalidParameterException);
  });

  it('emits CloudTrail-shaped events for mutating calls, including failed ones, with the caller as an assumed role', async () => {
    // Prepare
    const remediator = clientsFor(emulator, 'remediator');
    const received: EventBridgeEnvelope[] = [];
    const unsubscribe = emulator.subscribe((event) => {
      received.push(event);
    });

    try {
      // Act
      await remediator.eks.send(new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 0 } }));
      await rejectionOf(
        remediator.eks.send(new UpdateNodegroupConfigCommand({ clusterName: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 1 } })),
      );
    } finally {
      unsubscribe();
      destroyClients(remediator);
    }

    // Assess
    const trail = received.filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail');
    expect(trail).toHaveLength(2);
    const [ok, failed] = trail;
    expect(ok).toMatchObject({
      version: '0',
      source: 'aws.eks',
      account: '123456789012',
      region: 'us-west-2',
      resources: [],
      detail: {
        eventSource: 'eks.amazonaws.com',
        eventName: 'UpdateNodegroupConfig',
        awsRegion: 'us-west-2',
        eventType: 'AwsApiCall',
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::123456789012:assumed-role/node-join-remediator/EksNodeJoinRemediator',
          sessionContext: { sessionIssuer: { type: 'Role', arn: SEED.remediatorArn, userName: 'node-join-remediator' } },
        },
        requestParameters: { name: SEED.cluster, nodegroupName: SEED.brokenNodegroup, scalingConfig: { desiredSize: 0 } },
        responseElements: { update: expect.objectContaining({ status: 'InProgress', type: 'ConfigUpdate' }) },
      },
    });
    expect(failed?.detail).toMatchObject({ errorCode: 'ResourceInUseException', responseElements: null });
    expect(emulator.events()).toEqual(expect.arrayContaining(trail));
  });

  it('CreateNodegroup creates a CREATING node group whose group launches instances, ACTIVE later', async () => {
    // Act
    const created = await clients.eks.send(
      new CreateNodegroupCommand({
        clusterName: SEED.cluster,
        nodegroupName: 'extra',
        subnets: [SEED.privateSubnetIds[0]],
        nodeRole: 'arn:aws:iam::123456789012:role/eks-workshop-nodegroup-role',
        scalingConfig: { minSize: 1, maxSize: 2, desiredSize: 2 },
      }),
    );
    const duplicate = await rejectionOf(
      clients.eks.send(
        new CreateNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: 'extra', subnets: [SEED.privateSubnetIds[0]], nodeRole: 'arn:aws:iam::123456789012:role/r' }),
      ),
    );
    emulator.advance(5);
    const after = await clients.eks.send(new DescribeNodegroupCommand({ clusterName: SEED.cluster, nodegroupName: 'extra' }));

    // Assess
    expect(created.nodegroup?.status).toBe('CREATING');
    expect(duplicate).toBeInstanceOf(ResourceInUseException);
    expect(after.nodegroup?.status).toBe('ACTIVE');
    const joined = emulator.world.nodesOf(SEED.cluster).filter((n) => (n.metadata as { labels: Record<string, string> }).labels['eks.amazonaws.com/nodegroup'] === 'extra');
    expect(joined).toHaveLength(2);
    expect(emulator.events().map((e) => e.detail.eventName)).toContain('CreateNodegroup');
  });

  it('UpdateNodegroupVersion records a VersionUpdate', async () => {
    // Act
    const out = await clients.eks.send(new UpdateNodegroupVersionCommand({ clusterName: SEED.cluster, nodegroupName: SEED.workingNodegroup }));

    // Assess
    expect(out.update?.type).toBe('VersionUpdate');
    expect(out.update?.params).toEqual(expect.arrayContaining([{ type: 'Version', value: '1.30' }]));
  });

  it('DescribeCluster returns the cluster Kubernetes API endpoint and CA it was started with', async () => {
    // Prepare
    const views: KubeClusterView[] = [];
    const stubbed = await startTestEmulator(bundledScenario('seed'), {
      kubernetes: true,
      startClusterApi: async (view) => {
        views.push(view);
        return { endpoint: 'https://127.0.0.1:6443', certificateAuthorityData: Buffer.from('-----BEGIN CERTIFICATE-----\nstub\n').toString('base64'), close: async () => undefined };
      },
    });
    const client = clientsFor(stubbed);

    try {
      // Act
      const out = await client.eks.send(new DescribeClusterCommand({ name: SEED.cluster }));

      // Assess
      expect(out.cluster).toMatchObject({
        name: SEED.cluster,
        status: 'ACTIVE',
        version: '1.30',
        endpoint: 'https://127.0.0.1:6443',
        certificateAuthority: { data: Buffer.from('-----BEGIN CERTIFICATE-----\nstub\n').toString('base64') },
        resourcesVpcConfig: { vpcId: SEED.vpcId, endpointPublicAccess: true, endpointPrivateAccess: true },
        accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
      });
      expect(views).toHaveLength(1);
      expect(views[0]?.clusterName).toBe(SEED.cluster);
      expect(views[0]?.awsEndpointHost).toBe(stubbed.awsEndpoint.replace('http://', ''));
      expect(views[0]?.accessEntries().map((e) => e.principalArn)).toContain(SEED.remediatorArn);
      expect(views[0]?.nodes()).toHaveLength(3);
    } finally {
      destroyClients(client);
      await stubbed.close();
    }
  });

  it('serves a real Kubernetes API per cluster whose TLS certificate the returned CA verifies', async () => {
    // Prepare
    const real = await startTestEmulator(bundledScenario('seed'), { kubernetes: true });
    const client = clientsFor(real);

    try {
      const out = await client.eks.send(new DescribeClusterCommand({ name: SEED.cluster }));
      const ca = Buffer.from(out.cluster?.certificateAuthority?.data ?? '', 'base64').toString('utf8');

      // Act: an unauthenticated request over TLS verified with the CA
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${out.cluster?.endpoint}/api/v1/nodes`, { ca, method: 'GET' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });

      // Assess
      expect(out.cluster?.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(ca).toContain('-----BEGIN CERTIFICATE-----');
      expect(status).toBe(401);
    } finally {
      destroyClients(client);
      await real.close();
    }
  });
});
