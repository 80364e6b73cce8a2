/**
 * The network rules of the simulated VPCs (pure): effective route tables, route states, and
 * whether a subnet has a working path to the AWS APIs a node needs to bootstrap (contract
 * section 7).
 */
import type {
  InternetGatewayRecord,
  NatGatewayRecord,
  RouteRecord,
  RouteTableRecord,
  SubnetRecord,
  VpcEndpointRecord,
  VpcRecord,
} from './state';

export interface NetworkFacts {
  vpcs: ReadonlyMap<string, VpcRecord>;
  subnets: ReadonlyMap<string, SubnetRecord>;
  internetGateways: ReadonlyMap<string, InternetGatewayRecord>;
  natGateways: ReadonlyMap<string, NatGatewayRecord>;
  routeTables: ReadonlyMap<string, RouteTableRecord>;
  vpcEndpoints: ReadonlyMap<string, VpcEndpointRecord>;
}

/** A route as DescribeRouteTables shows it: with its state, local route included. */
export interface EffectiveRoute extends RouteRecord {
  state: 'active' | 'blackhole';
}

export const DEFAULT_ROUTE_CIDR = '0.0.0.0/0';

/** NAT gateway states in which traffic sent to it is dropped. */
const NAT_GONE_STATES = new Set(['deleting', 'deleted', 'failed']);

export function mainRouteTable(facts: NetworkFacts, vpcId: string): RouteTableRecord | undefined {
  return [...facts.routeTables.values()].find((t) => t.vpcId === vpcId && t.main);
}

/** The subnet's explicitly associated table, else its VPC's main table. */
export function effectiveRouteTable(facts: NetworkFacts, subnetId: string): RouteTableRecord | undefined {
  const subnet = facts.subnets.get(subnetId);
  if (!subnet) return undefined;
  const explicit = [...facts.routeTables.values()].find((t) => t.associations.some((a) => a.subnetId === subnetId));
  return explicit ?? mainRouteTable(facts, subnet.vpcId);
}

export function routeState(facts: NetworkFacts, table: RouteTableRecord, route: RouteRecord): 'active' | 'blackhole' {
  if (route.declaredBlackhole) return 'blackhole';
  if (route.gatewayId === 'local') return 'active';
  if (route.natGatewayId !== undefined) {
    const nat = facts.natGateways.get(route.natGatewayId);
    return nat && !NAT_GONE_STATES.has(nat.state) ? 'active' : 'blackhole';
  }
  if (route.gatewayId?.startsWith('igw-')) {
    const igw = facts.internetGateways.get(route.gatewayId);
    return igw && igw.vpcId === table.vpcId ? 'active' : 'blackhole';
  }
  // Transit gateways, ENIs, peerings, instances: not modelled, taken to exist.
  return 'active';
}

export function effectiveRoutes(facts: NetworkFacts, table: RouteTableRecord): EffectiveRoute[] {
  const vpc = facts.vpcs.get(table.vpcId);
  const local: EffectiveRoute[] = vpc
    ? [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable', state: 'active' }]
    : [];
  return [...local, ...table.routes.map((r) => ({ ...r, state: routeState(facts, table, r) }))];
}

export function defaultRoute(facts: NetworkFacts, table: RouteTableRecord | undefined): EffectiveRoute | undefined {
  return table ? effectiveRoutes(facts, table).find((r) => r.destinationCidrBlock === DEFAULT_ROUTE_CIDR) : undefined;
}

export interface EgressVerdict {
  works: boolean;
  via: 'nat-gateway' | 'internet-gateway' | 'vpc-endpoints' | 'none';
  /** one sentence for /_emulator/state and instance bootstrap details */
  detail: string;
  /**
   * false when the node reaches the AWS APIs (interface endpoints) but not S3 (no available S3
   * gateway endpoint on its table, no internet egress): it registers but never turns Ready, as
   * ECR image layers are served from S3 (contract 7.1, "Which causes are final").
   */
  s3Path?: boolean;
}

/** What a node bootstrapping in `subnetId` would experience. */
export interface EgressContext {
  hasPublicIp: boolean;
  clusterEndpointPrivateAccess: boolean;
}

/** The interface endpoints a node needs without internet egress (plus the s3 gateway endpoint). */
export const REQUIRED_INTERFACE_ENDPOINT_SERVICES = ['ec2', 'ecr.api', 'ecr.dkr', 'sts'];

export function egressVerdict(facts: NetworkFacts, subnetId: string, context: EgressContext): EgressVerdict {
  const subnet = facts.subnets.get(subnetId);
  if (!subnet) return { works: false, via: 'none', detail: `subnet ${subnetId} does not exist` };
  const table = effectiveRouteTable(facts, subnetId);
  const route = defaultRoute(facts, table);
  const viaDefault = defaultRouteVerdict(facts, subnet, table, route, context);
  if (viaDefault.works) return viaDefault;
  const viaEndpoints = endpointVerdict(facts, subnet, table, context);
  return viaEndpoints.works ? viaEndpoints : viaDefault;
}

function defaultRouteVerdict(
  facts: NetworkFacts,
  subnet: SubnetRecord,
  table: RouteTableRecord | undefined,
  route: EffectiveRoute | undefined,
  context: EgressContext,
): EgressVerdict {
  const tableId = table?.routeTableId ?? '(no route table)';
  if (!route) return { works: false, via: 'none', detail: `route table ${tableId} has no 0.0.0.0/0 route` };
  if (route.state === 'blackhole') {
    return { works: false, via: 'none', detail: `the 0.0.0.0/0 route of ${tableId} is a blackhole` };
  }
  if (route.natGatewayId) {
    const nat = facts.natGateways.get(route.natGatewayId);
    if (!nat || nat.state !== 'available') {
      return { works: false, via: 'none', detail: `NAT gateway ${route.natGatewayId} is ${nat?.state ?? 'missing'}` };
    }
    if (nat.connectivityType !== 'public') {
      return { works: false, via: 'none', detail: `NAT gateway ${nat.natGatewayId} is private` };
    }
    const natRoute = defaultRoute(facts, effectiveRouteTable(facts, nat.subnetId));
    const igw = natRoute?.gatewayId ? facts.internetGateways.get(natRoute.gatewayId) : undefined;
    if (!natRoute || natRoute.state !== 'active' || !igw || igw.vpcId !== subnet.vpcId) {
      return {
        works: false,
        via: 'none',
        detail: `NAT gateway ${nat.natGatewayId}'s subnet ${nat.subnetId} has no 0.0.0.0/0 route to an attached internet gateway`,
      };
    }
    return { works: true, via: 'nat-gateway', detail: `0.0.0.0/0 -> ${nat.natGatewayId} -> ${igw.internetGatewayId}` };
  }
  if (route.gatewayId?.startsWith('igw-')) {
    return context.hasPublicIp
      ? { works: true, via: 'internet-gateway', detail: `0.0.0.0/0 -> ${route.gatewayId} with a public IP` }
      : { works: false, via: 'none', detail: `0.0.0.0/0 -> ${route.gatewayId} but the instance has no public IP` };
  }
  return { works: false, via: 'none', detail: `0.0.0.0/0 goes to a target that gives no verified path to the AWS APIs` };
}

function endpointVerdict(
  facts: NetworkFacts,
  subnet: SubnetRecord,
  table: RouteTableRecord | undefined,
  context: EgressContext,
): EgressVerdict {
  const endpoints = [...facts.vpcEndpoints.values()].filter((e) => e.vpcId === subnet.vpcId && e.state === 'available');
  const service = (e: VpcEndpointRecord): string => e.serviceName.split('.').slice(3).join('.');
  const missing = REQUIRED_INTERFACE_ENDPOINT_SERVICES.filter(
    (name) => !endpoints.some((e) => e.vpcEndpointType === 'Interface' && service(e) === name),
  );
  const s3 = endpoints.some(
    (e) =>
      e.vpcEndpointType === 'Gateway' &&
      service(e) === 's3' &&
      // a gateway endpoint serves exactly the tables it lists (an empty list serves none)
      table !== undefined &&
      e.routeTableIds.includes(table.routeTableId),
  );
  if (missing.length === 0 && s3 && context.clusterEndpointPrivateAccess) {
    return { works: true, via: 'vpc-endpoints', detail: 'interface endpoints for ec2, ecr.api, ecr.dkr, sts and an s3 gateway endpoint' };
  }
  if (missing.length === 0 && context.clusterEndpointPrivateAccess) {
    return {
      works: true,
      via: 'vpc-endpoints',
      s3Path: false,
      detail: `interface endpoints for ec2, ecr.api, ecr.dkr, sts but no available s3 gateway endpoint on ${table?.routeTableId ?? 'its route table'}: registers, images cannot be pulled`,
    };
  }
  return { works: false, via: 'none', detail: 'no complete set of VPC endpoints' };
}
