/**
 * A generated fleet for the benchmark and scale tests: `clusters` EKS clusters of
 * `nodegroupsPerCluster` managed node groups each, every cluster in its own VPC with a public
 * subnet (internet gateway, one public NAT gateway) and one private subnet and route table per
 * node group. A healthy node group's table routes 0.0.0.0/0 to the NAT gateway; a broken one's
 * has only the local route (the seed's cause), so its instance never registered.
 * Broken: every node group whose fleet-wide index i has i % 50 === 25 (2% of the fleet: none of
 * 10, 2 of 100, 10 of 500).
 */
import type { Scenario } from './scenario';

export interface FleetShape {
  clusters: number;
  nodegroupsPerCluster: number;
}

const REGION = 'us-west-2';
const ACCOUNT = '123456789012';
const AZS = ['us-west-2a', 'us-west-2b', 'us-west-2c'];

/** A resource id in AWS's form: prefix, then 17 hex digits built from the numbers. */
function id(prefix: string, ...numbers: number[]): string {
  return `${prefix}-0${numbers.map((n) => n.toString(16).padStart(4, '0')).join('').padStart(16, '0')}`;
}

export function isBrokenIndex(index: number): boolean {
  return index % 50 === 25;
}

export function clusterName(c: number): string {
  return `fleet-${String(c + 1).padStart(2, '0')}`;
}

export function nodegroupName(n: number): string {
  return `ng-${String(n + 1).padStart(2, '0')}`;
}

/** The scenario object (contract section 7's format). The principals are the seed's. */
export function fleetScenario(shape: FleetShape): Scenario {
  if (shape.clusters < 1 || shape.clusters > 200 || shape.nodegroupsPerCluster < 1 || shape.nodegroupsPerCluster > 14) {
    throw new Error('a fleet has 1-200 clusters of 1-14 node groups (one /20 per node group in a /16)');
  }
  const vpcs = [];
  const internetGateways = [];
  const subnets = [];
  const natGateways = [];
  const routeTables = [];
  const clusters = [];
  for (let c = 0; c < shape.clusters; c += 1) {
    const vpcId = id('vpc', c);
    const igw = id('igw', c);
    const nat = id('nat', c);
    const publicSubnet = id('subnet', c, 0xffff);
    const octet = c % 250;
    const second = Math.floor(c / 250);
    const cidr = (third: number, bits: number) => `10.${octet + second}.${third}.0/${bits}`;
    vpcs.push({ vpcId, cidrBlock: cidr(0, 16) });
    internetGateways.push({ internetGatewayId: igw, vpcId });
    subnets.push({ subnetId: publicSubnet, vpcId, availabilityZone: AZS[0]!, cidrBlock: cidr(224, 20), mapPublicIpOnLaunch: true });
    natGateways.push({ natGatewayId: nat, subnetId: publicSubnet, state: 'available', connectivityType: 'public' });
    routeTables.push({ routeTableId: id('rtb', c, 0xffff), vpcId, main: false, subnetIds: [publicSubnet], routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: igw }] });
    routeTables.push({ routeTableId: id('rtb', c, 0xfffe), vpcId, main: true, subnetIds: [], routes: [] });
    const nodegroups = [];
    for (let n = 0; n < shape.nodegroupsPerCluster; n += 1) {
      const index = c * shape.nodegroupsPerCluster + n;
      const subnetId = id('subnet', c, n);
      subnets.push({ subnetId, vpcId, availabilityZone: AZS[n % AZS.length]!, cidrBlock: cidr(16 * n, 20), mapPublicIpOnLaunch: false });
      routeTables.push({
        routeTableId: id('rtb', c, n),
        vpcId,
        main: false,
        subnetIds: [subnetId],
        routes: isBrokenIndex(index) ? [] : [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: nat }],
      });
      nodegroups.push({ nodegroupName: nodegroupName(n), subnetIds: [subnetId], scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 1 }, instanceTypes: ['m5.large'], tags: {} });
    }
    clusters.push({
      name: clusterName(c),
      version: '1.30',
      vpcId,
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      subnetIds: [publicSubnet],
      accessEntries: [
        { principalArn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`, kubernetesGroups: [], accessPolicies: ['arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy'] },
        { principalArn: `arn:aws:iam::${ACCOUNT}:role/node-join-remediator`, kubernetesGroups: [], accessPolicies: ['arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy'] },
      ],
      nodegroups,
    });
  }
  return {
    description: `generated fleet: ${shape.clusters} clusters x ${shape.nodegroupsPerCluster} node groups, 2% without a default route`,
    region: REGION,
    accountId: ACCOUNT,
    principals: [
      { name: 'operator', accessKeyId: 'AKIA5EKSWORKSHOP0001', secretAccessKey: 'oPeRaToRsEcReTkEy0000000000000000000001', arn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`, sessionName: 'alice' },
      { name: 'remediator', accessKeyId: 'AKIA5EKSWORKSHOP0002', secretAccessKey: 'rEmEdIaToRsEcReTkEy00000000000000000002', arn: `arn:aws:iam::${ACCOUNT}:role/node-join-remediator`, sessionName: 'EksNodeJoinRemediator' },
    ],
    timing: { instanceBootSeconds: 1, nodeJoinSeconds: 1, nodegroupUpdateSeconds: 1, instanceAgeSeconds: 600, nodeCreationFailureSeconds: 1800 },
    vpcs,
    internetGateways,
    subnets,
    natGateways,
    routeTables,
    vpcEndpoints: [],
    clusters,
  } as unknown as Scenario;
}
