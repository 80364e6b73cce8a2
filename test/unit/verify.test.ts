import {
  AutoScalingClient,
  AutoScalingServiceException,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandOutput,
} from '@aws-sdk/client-auto-scaling';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  type DescribeClusterCommandOutput,
  DescribeNodegroupCommand,
  EKSClient,
  type DescribeNodegroupCommandOutput,
} from '@aws-sdk/client-eks';
import { mockClient } from 'aws-sdk-client-mock';
import { AutoScalingAdapter } from '../../lambda/aws/autoscaling';
import { Ec2Adapter } from '../../lambda/aws/ec2';
import { clusterInfoFromCluster, EksAdapter, nodegroupInfoFromNodegroup } from '../../lambda/aws/eks';
import { KubernetesApiError } from '../../lambda/errors';
import type { NodeInfo } from '../../lambda/model';
import type { KubernetesPort, Ports } from '../../lambda/ports';
import { MAX_FAILED_POLLS, verifyJoin, type VerifyTarget } from '../../lambda/verify';
import { awsResponse, FakeClock, recordingLogger, WORLD } from '../fixtures/aws/responses';

const eksMock = mockClient(EKSClient);
const autoScalingMock = mockClient(AutoScalingClient);

const OLD = WORLD.instanceId;
const NEW = 'i-0c1d2e3f4a5b60001';
const NEW_2 = 'i-0c1d2e3f4a5b60002';
const POLL_SECONDS = 10;

function target(withEndpoint = true): VerifyTarget {
  const cluster = awsResponse<DescribeClusterCommandOutput>(withEndpoint ? 'eks-describe-cluster.json' : 'eks-describe-cluster.creating.json');
  const nodegroup = awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json');
  return {
    region: WORLD.region,
    cluster: clusterInfoFromCluster(cluster.cluster!, WORLD.clusterName),
    nodegroup: nodegroupInfoFromNodegroup(nodegroup.nodegroup!, WORLD.clusterName, WORLD.nodegroupName),
  };
}

function node(instanceId: string, ready: boolean): NodeInfo {
  return { name: `ip-${instanceId}.us-west-2.compute.internal`, providerID: `aws:///us-west-2a/${instanceId}`, instanceId, ready };
}

/** Kubernetes answers, one per poll (the last one repeats); an Error entry is thrown. */
function kubernetesAnswering(answers: (NodeInfo[] | Error)[]) {
  let calls = 0;
  const port: KubernetesPort = {
    listNodegroupNodes: async () => {
      const answer = answers[Math.min(calls, answers.length - 1)]!;
      calls += 1;
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { port, calls: () => calls };
}

function ports(kubernetes: KubernetesPort): Ports {
  return {
    eks: new EksAdapter(new EKSClient({ region: WORLD.region })),
    ec2: new Ec2Adapter(new EC2Client({ region: WORLD.region })),
    autoscaling: new AutoScalingAdapter(new AutoScalingClient({ region: WORLD.region })),
    kubernetes,
  };
}

/** The node group's group with these members: [instanceId, lifecycleState]. */
function groupWith(members: [string, string][]): DescribeAutoScalingGroupsCommandOutput {
  const answer = awsResponse<DescribeAutoScalingGroupsCommandOutput>('autoscaling-describe-auto-scaling-groups.json');
  answer.AutoScalingGroups![0]!.Instances = members.map(([InstanceId, LifecycleState]) => ({
    InstanceId,
    LifecycleState: LifecycleState as never,
    AvailabilityZone: 'us-west-2a',
    HealthStatus: 'Healthy',
    ProtectedFromScaleIn: false,
  }));
  return answer;
}

let clock: FakeClock;

beforeEach(() => {
  eksMock.reset();
  autoScalingMock.reset();
  clock = new FakeClock();
});

function options(overrides: Partial<Parameters<typeof verifyJoin>[2]> = {}) {
  return {
    expected: 1,
    replacedInstanceIds: [OLD],
    deadline: clock.in(120),
    pollSeconds: POLL_SECONDS,
    sleep: clock.sleep,
    now: clock.now,
    ...overrides,
  };
}

describe('verifyJoin with the Kubernetes API', () => {
  it('is joined at once when the replacement is already a Ready node', async () => {
    // Prepare
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([[NEW, 'InService']]));
    const kubernetes = kubernetesAnswering([[node(NEW, true)]]);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options());

    // Assess
    expect(verification).toEqual({ status: 'joined', registered: 1, expected: 1 });
    expect(clock.sleeps).toEqual([]);
  });

  it('polls until the new instance registers and is Ready', async () => {
    // Prepare
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce(groupWith([[OLD, 'Terminating'], [NEW, 'Pending']]))
      .resolves(groupWith([[NEW, 'InService']]));
    const kubernetes = kubernetesAnswering([[], [node(NEW, false)], [node(NEW, true)]]);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options());

    // Assess
    expect(verification).toEqual({ status: 'joined', registered: 1, expected: 1 });
    expect(kubernetes.calls()).toBe(3);
    expect(clock.sleeps).toEqual([POLL_SECONDS * 1000, POLL_SECONDS * 1000]);
  });

  it('never counts the node of a replaced instance, nor of an instance outside the node group', async () => {
    // Prepare
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([[OLD, 'Terminating'], [NEW, 'Pending']]));
    const kubernetes = kubernetesAnswering([[node(OLD, true), node('i-0ffffffffffffffff', true), node(NEW, false)]]);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options());

    // Assess
    expect(verification).toEqual({ status: 'pending', registered: 0, expected: 1 });
  });

  it('stops at the deadline with pending and the last count, after a bounded number of polls', async () => {
    // Prepare
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([[NEW, 'InService'], [NEW_2, 'InService']]));
    const kubernetes = kubernetesAnswering([[node(NEW, true), node(NEW_2, false)]]);
    const deadline = clock.in(45);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options({ expected: 2, deadline }));

    // Assess
    expect(verification).toEqual({ status: 'pending', registered: 1, expected: 2 });
    expect(kubernetes.calls()).toBe(5); // at 0, 10, 20, 30, 40 s
    expect(clock.now().getTime()).toBeLessThanOrEqual(deadline.getTime());
  });

  it('takes a Kubernetes error after a first answer as transient and polls on', async () => {
    // Prepare
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([[NEW, 'InService']]));
    const kubernetes = kubernetesAnswering([[], new KubernetesApiError('connection reset'), [node(NEW, true)]]);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options());

    // Assess
    expect(verification.status).toBe('joined');
    expect(kubernetes.calls()).toBe(3);
  });

  it('never throws on failing reads: pending after a few failed polls in a row', async () => {
    // Prepare
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .rejects(new AutoScalingServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'no' }));
    const kubernetes = kubernetesAnswering([[node(NEW, true)]]);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options({ deadline: clock.in(3600) }));

    // Assess
    expect(verification).toEqual({ status: 'pending', registered: 0, expected: 1 });
    expect(autoScalingMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, MAX_FAILED_POLLS);
  });
});

describe('verifyJoin without the Kubernetes API', () => {
  it('reports pending at once when the cluster has no endpoint, reading the node group health for the log', async () => {
    // Prepare
    const failed = awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.create-failed.json');
    eksMock.on(DescribeNodegroupCommand).resolves(failed);
    const kubernetes = kubernetesAnswering([[node(NEW, true)]]);
    const logger = recordingLogger();

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(false), options({ logger }));

    // Assess
    expect(verification).toEqual({ status: 'pending', registered: 0, expected: 1 });
    expect(kubernetes.calls()).toBe(0);
    expect(clock.sleeps).toEqual([]);
    expect(eksMock).toHaveReceivedCommandTimes(DescribeNodegroupCommand, 1);
    // the replaced instance is not reported as a new failure; the other listed one is
    expect(logger.lines[0]!.extra!['nodeCreationFailureInstanceIds']).toEqual(['i-0b7e9973418f8ab03']);
  });

  it('reports pending at once when the Kubernetes API fails from the start', async () => {
    // Prepare
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(groupWith([[NEW, 'InService']]));
    eksMock.on(DescribeNodegroupCommand).resolves(awsResponse<DescribeNodegroupCommandOutput>('eks-describe-nodegroup.json'));
    const kubernetes = kubernetesAnswering([new KubernetesApiError('the API server answered 403 Forbidden', 403)]);

    // Act
    const verification = await verifyJoin(ports(kubernetes.port), target(), options());

    // Assess
    expect(verification).toEqual({ status: 'pending', registered: 0, expected: 1 });
    expect(kubernetes.calls()).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });
});
