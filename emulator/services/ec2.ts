/**
 * Amazon EC2 over the EC2 Query protocol: form-encoded POST in, `xmlns=".../2016-11-15/"` XML
 * out, lists as `<xSet><item>`, errors as `<Response><Errors><Error>`.
 */
import { AwsApiError } from '../errors';
import { parseForm, QueryParams } from '../protocols/query';
import { compact, ec2Tags, xmlDocument, xmlEscape, type XmlObject } from '../protocols/xml';
import { effectiveRoutes } from '../world/network';
import { availabilityZoneId, privateDnsName } from '../world/nodes';
import type { InstanceRecord, NatGatewayRecord, RouteTableRecord, SubnetRecord, VpcEndpointRecord } from '../world/state';
import type { RouteTarget, World } from '../world/world';
import { networkHandlers } from './ec2-network';
import { applyFilters, type Filter, type FilterFields, paginate } from './listing';
import type { CallContext, HttpReply, OperationResult, ParsedCall, ServiceProtocol, ServiceRequest } from './types';

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';

const INSTANCE_STATE_CODES: Record<string, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

function requestParams(request: ServiceRequest): QueryParams {
  const fromQuery = Object.fromEntries(request.query.entries());
  return new QueryParams({ ...fromQuery, ...parseForm(request.body) });
}

const missing = (name: string): AwsApiError => new AwsApiError('MissingParameter', `The request must contain the parameter ${name}`);
const invalidValue = (name: string, value: string): AwsApiError =>
  new AwsApiError('InvalidParameterValue', `Value (${value}) for parameter ${name} is invalid.`);
const invalidFilter = (name: string): AwsApiError => new AwsApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
const invalidToken = (): AwsApiError => new AwsApiError('InvalidParameterValue', 'The value of NextToken is invalid or expired.');

function filtersOf(params: QueryParams, prefix = 'Filter'): Filter[] {
  return params.structs(prefix).map((f) => ({ name: f.required('Name', missing), values: f.list('Value') }));
}

function maxResults(params: QueryParams, min: number, max: number): number | undefined {
  const value = params.integer('MaxResults', invalidValue);
  if (value !== undefined && (value < min || value > max)) {
    throw new AwsApiError('InvalidParameterValue', `Value ( ${value} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
  }
  return value;
}

function reply(action: string, requestId: string, body: XmlObject): OperationResult {
  return {
    reply: {
      status: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
      body: xmlDocument(`${action}Response`, NAMESPACE, { requestId, ...body }, 'item'),
    },
  };
}

function notFound(code: string, kind: string, ids: string[]): AwsApiError {
  return ids.length === 1
    ? new AwsApiError(code, `The ${kind} ID '${ids[0]}' does not exist`)
    : new AwsApiError(code, `The ${kind} IDs '${ids.join(', ')}' do not exist`);
}

/** Items selected by explicit ids (all must exist) then by filters, in id-request order. */
function select<T>(all: T[], idOf: (item: T) => string, ids: string[], notFoundError: (missingIds: string[]) => AwsApiError): T[] {
  if (ids.length === 0) return all;
  const byId = new Map(all.map((item) => [idOf(item), item]));
  const absent = ids.filter((id) => !byId.has(id));
  if (absent.length) throw notFoundError(absent);
  return [...new Set(ids)].map((id) => byId.get(id) as T);
}

// ------------------------------------------------------------------ shapes

function instanceXml(world: World, i: InstanceRecord): XmlObject {
  const gone = i.state === 'terminated';
  const dns = privateDnsName(i.privateIp, world.region);
  const publicDns = i.publicIp ? `ec2-${i.publicIp.replace(/\./g, '-')}.${world.region}.compute.amazonaws.com` : '';
  const groups = i.securityGroups.map((g) => ({ groupId: g.groupId, groupName: g.groupName }));
  const launch = new Date(i.launchTime);
  return compact({
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: { code: INSTANCE_STATE_CODES[i.state] ?? 0, name: i.state },
    privateDnsName: gone ? '' : dns,
    dnsName: gone ? '' : publicDns,
    reason: i.stateTransitionReason,
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: launch,
    placement: { availabilityZone: i.availabilityZone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: gone ? undefined : i.subnetId,
    vpcId: gone ? undefined : i.vpcId,
    privateIpAddress: gone ? undefined : i.privateIp,
    ipAddress: gone ? undefined : i.publicIp,
    sourceDestCheck: gone ? undefined : true,
    groupSet: gone ? [] : groups,
    stateReason: gone || i.state === 'shutting-down'
      ? { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' }
      : undefined,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    blockDeviceMapping: gone
      ? []
      : [{ deviceName: '/dev/xvda', ebs: { volumeId: `vol-${i.instanceId.slice(2)}`, status: 'attached', attachTime: launch, deleteOnTermination: true } }],
    virtualizationType: 'hvm',
    clientToken: `fleet-${i.reservationId.slice(2, 10)}`,
    tagSet: ec2Tags(i.tags),
    hypervisor: 'xen',
    networkInterfaceSet: gone
      ? []
      : [
          compact({
            networkInterfaceId: i.networkInterfaceId,
            subnetId: i.subnetId,
            vpcId: i.vpcId,
            description: '',
            ownerId: world.accountId,
            status: 'in-use',
            macAddress: `02:${i.instanceId.slice(-10).match(/../g)?.join(':') ?? '00:00:00:00:00'}`,
            privateIpAddress: i.privateIp,
            privateDnsName: dns,
            sourceDestCheck: true,
            groupSet: groups,
            attachment: { attachmentId: `eni-attach-${i.networkInterfaceId.slice(4)}`, deviceIndex: 0, status: 'attached', attachTime: launch, deleteOnTermination: true, networkCardIndex: 0 },
            association: i.publicIp ? { publicIp: i.publicIp, publicDnsName: publicDns, ipOwnerId: 'amazon' } : undefined,
            privateIpAddressesSet: [
              compact({
                privateIpAddress: i.privateIp,
                privateDnsName: dns,
                primary: true,
                association: i.publicIp ? { publicIp: i.publicIp, publicDnsName: publicDns, ipOwnerId: 'amazon' } : undefined,
              }),
            ],
            interfaceType: 'interface',
          }),
        ],
    iamInstanceProfile: i.iamInstanceProfileArn ? { arn: i.iamInstanceProfileArn, id: `AIPA${i.instanceId.slice(2, 19).toUpperCase()}` } : undefined,
    ebsOptimized: false,
    enaSupport: true,
    cpuOptions: { coreCount: 1, threadsPerCore: 2 },
    metadataOptions: { state: 'applied', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: i.metadataHttpEndpoint ?? 'enabled', httpProtocolIpv6: 'disabled', instanceMetadataTags: 'disabled' },
    platformDetails: 'Linux/UNIX',
    usageOperation: 'RunInstances',
    privateDnsNameOptions: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
  });
}

function routeTableXml(world: World, t: RouteTableRecord): XmlObject {
  const associations: XmlObject[] = [
    ...(t.main && t.mainAssociationId
      ? [{ main: true, routeTableAssociationId: t.mainAssociationId, routeTableId: t.routeTableId, associationState: { state: 'associated' } }]
      : []),
    ...t.associations.map((a) => ({
      main: false,
      routeTableAssociationId: a.associationId,
      routeTableId: t.routeTableId,
      subnetId: a.subnetId,
      associationState: { state: 'associated' },
    })),
  ];
  return {
    associationSet: associations,
    propagatingVgwSet: [],
    routeTableId: t.routeTableId,
    routeSet: [...effectiveRoutes(world.facts, t).map((r) =>
      compact({
        destinationCidrBlock: r.destinationCidrBlock,
        gatewayId: r.gatewayId,
        instanceId: r.instanceId,
        instanceOwnerId: r.instanceId ? world.accountId : undefined,
        natGatewayId: r.natGatewayId,
        transitGatewayId: r.transitGatewayId,
        networkInterfaceId: r.networkInterfaceId,
        vpcPeeringConnectionId: r.vpcPeeringConnectionId,
        origin: r.origin,
        state: r.state,
      }),
    ), ...gatewayEndpointRoutes(world, t)],
    tagSet: ec2Tags(t.tags),
    vpcId: t.vpcId,
    ownerId: world.accountId,
  };
}

/** Each gateway endpoint on a table shows as a route to its service's prefix list (pl-…) via vpce-…. */
function gatewayEndpointRoutes(world: World, t: RouteTableRecord): XmlObject[] {
  return [...world.vpcEndpoints.values()]
    .filter((e) => e.vpcEndpointType === 'Gateway' && e.state === 'available' && e.routeTableIds.includes(t.routeTableId))
    .flatMap((e) => {
      const list = [...world.prefixLists.values()].find((l) => l.prefixListName === e.serviceName);
      return list ? [{ destinationPrefixListId: list.prefixListId, gatewayId: e.vpcEndpointId, origin: 'CreateRoute', state: 'active' }] : [];
    });
}

function subnetXml(world: World, s: SubnetRecord): XmlObject {
  return {
    availabilityZoneId: availabilityZoneId(s.availabilityZone),
    mapCustomerOwnedIpOnLaunch: false,
    ownerId: world.accountId,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    tagSet: ec2Tags(s.tags),
    subnetArn: `arn:aws:ec2:${world.region}:${world.accountId}:subnet/${s.subnetId}`,
    enableDns64: false,
    ipv6Native: false,
    privateDnsNameOptionsOnLaunch: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
    subnetId: s.subnetId,
    state: 'available',
    vpcId: s.vpcId,
    cidrBlock: s.cidrBlock,
    availableIpAddressCount: world.availableIpAddressCount(s.subnetId),
    availabilityZone: s.availabilityZone,
    defaultForAz: false,
    mapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
  };
}

function natGatewayXml(n: NatGatewayRecord): XmlObject {
  return compact({
    createTime: new Date(n.createTime),
    deleteTime: n.deleteTime !== undefined ? new Date(n.deleteTime) : undefined,
    failureCode: n.state === 'failed' ? 'InternalError' : undefined,
    failureMessage: n.state === 'failed' ? 'Network interface creation failed.' : undefined,
    natGatewayAddressSet: [
      compact({
        allocationId: n.allocationId,
        networkInterfaceId: n.networkInterfaceId,
        privateIp: n.privateIp,
        publicIp: n.publicIp,
        associationId: n.state === 'deleted' ? undefined : n.associationId,
        isPrimary: true,
        status: n.state === 'deleted' ? 'disassociated' : 'succeeded',
      }),
    ],
    natGatewayId: n.natGatewayId,
    state: n.state,
    subnetId: n.subnetId,
    vpcId: n.vpcId,
    tagSet: ec2Tags(n.tags),
    connectivityType: n.connectivityType,
  });
}

function vpcEndpointXml(world: World, e: VpcEndpointRecord): XmlObject {
  const isInterface = e.vpcEndpointType === 'Interface';
  return {
    vpcEndpointId: e.vpcEndpointId,
    vpcEndpointType: e.vpcEndpointType,
    vpcId: e.vpcId,
    serviceName: e.serviceName,
    state: e.state,
    routeTableIdSet: e.routeTableIds,
    subnetIdSet: e.subnetIds,
    groupSet: e.securityGroupIds.map((groupId) => ({ groupId, groupName: world.securityGroups.get(groupId)?.groupName ?? groupId })),
    ipAddressType: 'ipv4',
    privateDnsEnabled: e.privateDnsEnabled,
    requesterManaged: false,
    networkInterfaceIdSet: [],
    dnsEntrySet: isInterface ? [{ dnsName: `${e.vpcEndpointId}.${e.serviceName.split('.').slice(3).join('.')}.${world.region}.vpce.amazonaws.com`, hostedZoneId: 'Z1YSA3EXCYUU9Z' }] : [],
    creationTimestamp: new Date(e.creationTimestamp),
    tagSet: [],
    ownerId: world.accountId,
  };
}

// ------------------------------------------------------------------ filters

const instanceFilters: FilterFields<InstanceRecord> = {
  'instance-id': (i) => i.instanceId,
  'subnet-id': (i) => (i.state === 'terminated' ? undefined : i.subnetId),
  'network-interface.subnet-id': (i) => (i.state === 'terminated' ? undefined : i.subnetId),
  'vpc-id': (i) => (i.state === 'terminated' ? undefined : i.vpcId),
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => INSTANCE_STATE_CODES[i.state],
  'availability-zone': (i) => i.availabilityZone,
  'private-ip-address': (i) => (i.state === 'terminated' ? undefined : i.privateIp),
  'ip-address': (i) => i.publicIp,
  'instance-type': (i) => i.instanceType,
  'image-id': (i) => i.imageId,
  'reservation-id': (i) => i.reservationId,
  'iam-instance-profile.arn': (i) => i.iamInstanceProfileArn,
};

function routeTableFilters(world: World): FilterFields<RouteTableRecord> {
  const routes = (t: RouteTableRecord): ReturnType<typeof effectiveRoutes> => effectiveRoutes(world.facts, t);
  return {
    'route-table-id': (t) => t.routeTableId,
    'vpc-id': (t) => t.vpcId,
    'owner-id': () => world.accountId,
    'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
    'association.main': (t) => [...(t.main ? ['true'] : []), ...(t.associations.length ? ['false'] : [])],
    'association.route-table-association-id': (t) => [t.mainAssociationId, ...t.associations.map((a) => a.associationId)],
    'association.route-table-id': (t) => (t.main || t.associations.length ? t.routeTableId : undefined),
    'route.destination-cidr-block': (t) => routes(t).map((r) => r.destinationCidrBlock),
    'route.gateway-id': (t) => routes(t).map((r) => r.gatewayId),
    'route.nat-gateway-id': (t) => routes(t).map((r) => r.natGatewayId),
    'route.transit-gateway-id': (t) => routes(t).map((r) => r.transitGatewayId),
    'route.instance-id': (t) => routes(t).map((r) => r.instanceId),
    'route.vpc-peering-connection-id': (t) => routes(t).map((r) => r.vpcPeeringConnectionId),
    'route.state': (t) => routes(t).map((r) => r.state),
    'route.origin': (t) => routes(t).map((r) => r.origin),
  };
}

function subnetFilters(world: World): FilterFields<SubnetRecord> {
  return {
    'subnet-id': (s) => s.subnetId,
    'vpc-id': (s) => s.vpcId,
    'availability-zone': (s) => s.availabilityZone,
    'availability-zone-id': (s) => availabilityZoneId(s.availabilityZone),
    'cidr-block': (s) => s.cidrBlock,
    cidr: (s) => s.cidrBlock,
    cidrBlock: (s) => s.cidrBlock,
    state: () => 'available',
    'map-public-ip-on-launch': (s) => s.mapPublicIpOnLaunch,
    'default-for-az': () => false,
    'owner-id': () => world.accountId,
    'subnet-arn': (s) => `arn:aws:ec2:${world.region}:${world.accountId}:subnet/${s.subnetId}`,
  };
}

const natGatewayFilters: FilterFields<NatGatewayRecord> = {
  'nat-gateway-id': (n) => n.natGatewayId,
  'vpc-id': (n) => n.vpcId,
  'subnet-id': (n) => n.subnetId,
  state: (n) => n.state,
};

// ------------------------------------------------------------------ operations

type Handler = (world: World, params: QueryParams, context: CallContext) => XmlObject;

function routeTarget(params: QueryParams): RouteTarget {
  const target: RouteTarget = {
    gatewayId: params.string('GatewayId'),
    natGatewayId: params.string('NatGatewayId'),
    transitGatewayId: params.string('TransitGatewayId'),
    networkInterfaceId: params.string('NetworkInterfaceId'),
    vpcPeeringConnectionId: params.string('VpcPeeringConnectionId'),
    instanceId: params.string('InstanceId'),
  };
  return Object.fromEntries(Object.entries(target).filter(([, v]) => v !== undefined && v !== ''));
}

function routeDestination(params: QueryParams): string {
  if (params.string('DestinationIpv6CidrBlock') || params.string('DestinationPrefixListId')) {
    throw new AwsApiError('InvalidParameterValue', 'The emulator models IPv4 destination CIDR blocks only');
  }
  return params.required('DestinationCidrBlock', () => missing('destinationCidrBlock'));
}

const HANDLERS: Record<string, Handler> = {
  DescribeInstances(world, params) {
    const ids = params.list('InstanceId');
    const max = maxResults(params, 5, 1000);
    if (ids.length && max !== undefined) {
      throw new AwsApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    for (const id of ids) {
      if (!/^i-([0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) throw new AwsApiError('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const selected = select([...world.instances.values()], (i) => i.instanceId, ids, (absent) => notFound('InvalidInstanceID.NotFound', 'instance', absent));
    const filtered = applyFilters(selected, filtersOf(params), instanceFilters, (i) => i.tags, invalidFilter);
    const page = paginate(filtered, { maxResults: max, nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken });
    const reservations = new Map<string, InstanceRecord[]>();
    for (const i of page.items) reservations.set(i.reservationId, [...(reservations.get(i.reservationId) ?? []), i]);
    return compact({
      reservationSet: [...reservations.entries()].map(([reservationId, instances]) => ({
        reservationId,
        ownerId: world.accountId,
        groupSet: [],
        instancesSet: instances.map((i) => instanceXml(world, i)),
      })),
      nextToken: page.nextToken,
    });
  },

  DescribeRouteTables(world, params) {
    const selected = select([...world.routeTables.values()], (t) => t.routeTableId, params.list('RouteTableId'), (absent) =>
      notFound('InvalidRouteTableID.NotFound', 'routeTable', absent),
    );
    const filtered = applyFilters(selected, filtersOf(params), routeTableFilters(world), (t) => t.tags, invalidFilter);
    const page = paginate(filtered, { maxResults: maxResults(params, 5, 100), nextToken: params.string('NextToken'), defaultPageSize: 100, invalidToken });
    return compact({ routeTableSet: page.items.map((t) => routeTableXml(world, t)), nextToken: page.nextToken });
  },

  DescribeSubnets(world, params) {
    const selected = select([...world.subnets.values()], (s) => s.subnetId, params.list('SubnetId'), (absent) =>
      notFound('InvalidSubnetID.NotFound', 'subnet', absent),
    );
    const filtered = applyFilters(selected, filtersOf(params), subnetFilters(world), (s) => s.tags, invalidFilter);
    const page = paginate(filtered, { maxResults: maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken });
    return compact({ subnetSet: page.items.map((s) => subnetXml(world, s)), nextToken: page.nextToken });
  },

  DescribeNatGateways(world, params) {
    const selected = select([...world.natGateways.values()], (n) => n.natGatewayId, params.list('NatGatewayId'), (absent) =>
      new AwsApiError('NatGatewayNotFound', `NAT gateway ${absent.join(', ')} was not found`),
    );
    const filtered = applyFilters(selected, filtersOf(params), natGatewayFilters, (n) => n.tags, invalidFilter);
    const page = paginate(filtered, { maxResults: maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken });
    return compact({ natGatewaySet: page.items.map(natGatewayXml), nextToken: page.nextToken });
  },

  DescribeInternetGateways(world, params) {
    const selected = select([...world.internetGateways.values()], (g) => g.internetGatewayId, params.list('InternetGatewayId'), (absent) =>
      notFound('InvalidInternetGatewayID.NotFound', 'internetGateway', absent),
    );
    const filtered = applyFilters(
      selected,
      filtersOf(params),
      {
        'internet-gateway-id': (g) => g.internetGatewayId,
        'attachment.vpc-id': (g) => g.vpcId,
        'attachment.state': (g) => (g.vpcId ? 'available' : undefined),
        'owner-id': () => world.accountId,
      },
      (g) => g.tags,
      invalidFilter,
    );
    const page = paginate(filtered, { maxResults: maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken });
    return compact({
      internetGatewaySet: page.items.map((g) => ({
        attachmentSet: g.vpcId ? [{ state: 'available', vpcId: g.vpcId }] : [],
        internetGatewayId: g.internetGatewayId,
        ownerId: world.accountId,
        tagSet: ec2Tags(g.tags),
      })),
      nextToken: page.nextToken,
    });
  },

  DescribeVpcEndpoints(world, params) {
    const selected = select([...world.vpcEndpoints.values()], (e) => e.vpcEndpointId, params.list('VpcEndpointId'), (absent) =>
      new AwsApiError('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${absent.join(', ')}' does not exist`),
    );
    const filtered = applyFilters(
      selected,
      filtersOf(params),
      {
        'vpc-id': (e) => e.vpcId,
        'vpc-endpoint-id': (e) => e.vpcEndpointId,
        'service-name': (e) => e.serviceName,
        'vpc-endpoint-state': (e) => e.state,
        'vpc-endpoint-type': (e) => e.vpcEndpointType,
      },
      () => ({}),
      invalidFilter,
    );
    const page = paginate(filtered, { maxResults: maxResults(params, 1, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken });
    return compact({ vpcEndpointSet: page.items.map((e) => vpcEndpointXml(world, e)), nextToken: page.nextToken });
  },

  DescribeVpcs(world, params) {
    const selected = select([...world.vpcs.values()], (v) => v.vpcId, params.list('VpcId'), (absent) => notFound('InvalidVpcID.NotFound', 'vpc', absent));
    const filtered = applyFilters(
      selected,
      filtersOf(params),
      {
        'vpc-id': (v) => v.vpcId,
        cidr: (v) => v.cidrBlock,
        'cidr-block-association.cidr-block': (v) => v.cidrBlock,
        state: () => 'available',
        'is-default': () => false,
        'owner-id': () => world.accountId,
      },
      (v) => v.tags,
      invalidFilter,
    );
    const page = paginate(filtered, { maxResults: maxResults(params, 5, 1000), nextToken: params.string('NextToken'), defaultPageSize: 1000, invalidToken });
    return compact({
      vpcSet: page.items.map((v) => ({
        ownerId: world.accountId,
        instanceTenancy: 'default',
        cidrBlockAssociationSet: [{ associationId: v.cidrAssociationId, cidrBlock: v.cidrBlock, cidrBlockState: { state: 'associated' } }],
        isDefault: false,
        tagSet: ec2Tags(v.tags),
        vpcId: v.vpcId,
        state: 'available',
        cidrBlock: v.cidrBlock,
        dhcpOptionsId: v.dhcpOptionsId,
      })),
      nextToken: page.nextToken,
    });
  },

  CreateRoute(world, params) {
    const routeTableId = params.required('RouteTableId', () => missing('routeTableId'));
    world.createRoute(routeTableId, routeDestination(params), routeTarget(params));
    return { return: true };
  },

  ReplaceRoute(world, params) {
    const routeTableId = params.required('RouteTableId', () => missing('routeTableId'));
    world.replaceRoute(routeTableId, routeDestination(params), routeTarget(params));
    return { return: true };
  },

  DeleteRoute(world, params) {
    const routeTableId = params.required('RouteTableId', () => missing('routeTableId'));
    world.deleteRoute(routeTableId, routeDestination(params));
    return { return: true };
  },

  /** The serial console, base64 as EC2 returns it (Latest or not: the emulator keeps one buffer). */
  GetConsoleOutput(world, params) {
    const instanceId = params.required('InstanceId', () => missing('InstanceId'));
    const instance = world.instances.get(instanceId);
    if (!instance) throw new AwsApiError('InvalidInstanceID.NotFound', `The instance ID '${instanceId}' does not exist`);
    const text = (instance.consoleOutput ?? []).join('\n');
    return compact({
      requestId: undefined,
      instanceId,
      timestamp: new Date(world.clock.now()).toISOString(),
      output: text === '' ? undefined : Buffer.from(text, 'utf8').toString('base64'),
    });
  },

  DeleteNatGateway(world, params) {
    const natGatewayId = params.required('NatGatewayId', () => missing('NatGatewayId'));
    return { natGatewayId: world.deleteNatGateway(natGatewayId).natGatewayId };
  },

  ...networkHandlers({ filtersOf: (params) => filtersOf(params), invalidFilter, invalidToken, maxResults, missing }),
};

export const ec2: ServiceProtocol = {
  name: 'ec2',

  operationName(request) {
    return requestParams(request).action ?? 'Unknown';
  },

  parse(request: ServiceRequest): ParsedCall {
    const params = requestParams(request);
    const action = params.action;
    if (!action) throw new AwsApiError('MissingAction', 'The request must contain the parameter Action');
    const handler = HANDLERS[action];
    if (!handler) throw new AwsApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
    return {
      operation: action,
      params: params.nested(),
      emitsCloudTrailEvent: false,
      execute(context) {
        if (params.boolean('DryRun')) {
          throw new AwsApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
        }
        return reply(action, context.requestId, handler(context.world, params, context));
      },
    };
  },

  errors: {
    missingAuthentication: () => new AwsApiError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401),
    unknownAccessKey: () => new AwsApiError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401),
    signatureMismatch: () =>
      new AwsApiError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        403,
      ),
    throttle: () => new AwsApiError('RequestLimitExceeded', 'Request limit exceeded.', 503),
    serverError: () => new AwsApiError('InternalError', 'An internal error has occurred', 500),
    accessDenied: (operation, callerArn) =>
      new AwsApiError(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. User: ${callerArn} is not authorized to perform: ec2:${operation} because no identity-based policy allows the ec2:${operation} action`,
        403,
      ),
  },

  errorReply(error: AwsApiError, requestId: string): HttpReply {
    return {
      status: error.httpStatus,
      headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  },
};
