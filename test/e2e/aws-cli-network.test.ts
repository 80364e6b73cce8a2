/**
 * The AWS CLI shows each modelled network cause the way AWS does (contract section 7.1): one
 * emulator whose world holds every cause at once, read with the installed `aws` CLI.
 */
import { loadScenarioFile } from '../../emulator/scenario';
import { startHarness, type Harness } from '../../emulator/harness';
import { run, which } from './support/processes';

const AWS = which('aws');
const describeWithAws = AWS ? describe : describe.skip;
if (!AWS) process.stdout.write('SKIPPED aws CLI network compatibility tests: aws not installed\n');

const VPC = 'vpc-0c2b7f9a1d3e5f604';
const NEW_RT = 'rtb-0e1f2a3b4c5d6e7f8';
const NEW_SUBNET = 'subnet-0a1b2c3d4e5f60718';

/** The endpoint-not-serving world plus every other network cause the scenario can state. */
function everyCause() {
  const scenario = loadScenarioFile('vpc-endpoint-not-serving');
  const groups = loadScenarioFile('security-group-blocks-cluster');
  const acls = loadScenarioFile('network-acl-blocks-traffic');
  scenario.vpcs[0]!.enableDnsHostnames = false;
  scenario.vpcs[0]!.dhcpOptions = { domainNameServers: ['10.42.0.2', '10.99.0.2'] };
  scenario.securityGroups = groups.securityGroups!;
  scenario.networkAcls = acls.networkAcls!;
  scenario.clusters[0]!.clusterSecurityGroupId = groups.clusters[0]!.clusterSecurityGroupId!;
  scenario.clusters[0]!.publicAccessCidrs = ['198.51.100.0/24', '203.0.113.7/32'];
  scenario.vpcEndpoints.find((e) => e.serviceName.endsWith('.ecr.api'))!.securityGroupIds = ['sg-0a9b8c7d6e5f40312'];
  scenario.subnets.find((s) => s.subnetId === 'subnet-0e2d3c4b5a6978011')!.availableIpAddressCount = 0;
  return scenario;
}

describeWithAws('the network causes with the real aws CLI', () => {
  let harness: Harness;
  let env: Record<string, string>;
  const aws = async (...args: string[]) => {
    const result = await run(AWS!, [...args, '--output', 'json'], env);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout || '{}') as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    harness = await startHarness({ scenario: everyCause() });
    env = harness.cliEnv('operator');
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('describe-vpc-attribute and describe-dhcp-options show the DNS settings', async () => {
    const support = await aws('ec2', 'describe-vpc-attribute', '--vpc-id', VPC, '--attribute', 'enableDnsSupport');
    const hostnames = await aws('ec2', 'describe-vpc-attribute', '--vpc-id', VPC, '--attribute', 'enableDnsHostnames');
    const vpc = (await aws('ec2', 'describe-vpcs', '--vpc-ids', VPC)).Vpcs[0];
    const options = await aws('ec2', 'describe-dhcp-options', '--dhcp-options-ids', vpc.DhcpOptionsId);

    expect(support).toEqual({ VpcId: VPC, EnableDnsSupport: { Value: true } });
    expect(hostnames).toEqual({ VpcId: VPC, EnableDnsHostnames: { Value: false } });
    expect(options.DhcpOptions[0].DhcpConfigurations).toContainEqual({
      Key: 'domain-name-servers',
      Values: [{ Value: '10.42.0.2' }, { Value: '10.99.0.2' }],
    });
  });

  it('describe-security-groups and describe-security-group-rules show rules with referenced groups', async () => {
    const groups = await aws('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${VPC}`);
    const cluster = groups.SecurityGroups.find((g: { GroupId: string }) => g.GroupId === 'sg-0c1d2e3f4a5b6c7d8');
    const rules = await aws('ec2', 'describe-security-group-rules', '--filters', 'Name=group-id,Values=sg-0a9b8c7d6e5f40312');

    expect(cluster.IpPermissions).toEqual([
      expect.objectContaining({ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0c1d2e3f4a5b6c7d8', UserId: '123456789012' }] }),
    ]);
    expect(rules.SecurityGroupRules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ GroupId: 'sg-0a9b8c7d6e5f40312', IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.42.0.0/16' }),
        expect.objectContaining({ IsEgress: true, IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' }),
      ]),
    );
  });

  it('describe-network-acls shows the entries in rule order, with the implicit deny and the association', async () => {
    const acls = await aws('ec2', 'describe-network-acls', '--filters', `Name=association.subnet-id,Values=${NEW_SUBNET}`);

    const acl = acls.NetworkAcls[0];
    expect(acl).toMatchObject({ NetworkAclId: 'acl-0a1b2c3d4e5f60718', IsDefault: false, Associations: [expect.objectContaining({ SubnetId: NEW_SUBNET })] });
    expect(acl.Entries).toEqual(
      expect.arrayContaining([
        { RuleNumber: 90, Protocol: '6', RuleAction: 'deny', Egress: true, CidrBlock: '0.0.0.0/0', PortRange: { From: 443, To: 443 } },
        { RuleNumber: 32767, Protocol: '-1', RuleAction: 'deny', Egress: true, CidrBlock: '0.0.0.0/0' },
      ]),
    );
  });

  it('describe-vpc-endpoints shows subnets, groups, private DNS and route tables; describe-route-tables the pl- route', async () => {
    const endpoints = (await aws('ec2', 'describe-vpc-endpoints', '--filters', `Name=vpc-id,Values=${VPC}`)).VpcEndpoints;
    const table = (await aws('ec2', 'describe-route-tables', '--route-table-ids', NEW_RT)).RouteTables[0];
    const s3List = await aws('ec2', 'describe-managed-prefix-lists', '--filters', 'Name=prefix-list-name,Values=com.amazonaws.us-west-2.s3');
    const entries = await aws('ec2', 'get-managed-prefix-list-entries', '--prefix-list-id', 'pl-68a54001');

    expect(endpoints.find((e: { ServiceName: string }) => e.ServiceName.endsWith('.ec2'))).toMatchObject({ PrivateDnsEnabled: false, SubnetIds: [NEW_SUBNET] });
    expect(endpoints.find((e: { ServiceName: string }) => e.ServiceName.endsWith('.ecr.api')).Groups).toEqual([{ GroupId: 'sg-0a9b8c7d6e5f40312', GroupName: 'new-nodegroup-lt' }]);
    expect(endpoints.find((e: { ServiceName: string }) => e.ServiceName.endsWith('.s3'))).toMatchObject({ VpcEndpointType: 'Gateway', RouteTableIds: [NEW_RT] });
    expect(table.Routes).toContainEqual({ DestinationPrefixListId: 'pl-68a54001', GatewayId: 'vpce-0a1b2c3d4e5f60001', Origin: 'CreateRoute', State: 'active' });
    expect(s3List.PrefixLists[0]).toMatchObject({ PrefixListId: 'pl-68a54001', OwnerId: 'AWS' });
    expect(entries.Entries.length).toBeGreaterThan(0);
  });

  it('describe-cluster shows publicAccessCidrs and the cluster security group; describe-subnets the free addresses', async () => {
    const cluster = (await aws('eks', 'describe-cluster', '--name', 'eks-workshop')).cluster;
    const subnet = (await aws('ec2', 'describe-subnets', '--subnet-ids', 'subnet-0e2d3c4b5a6978011')).Subnets[0];

    expect(cluster.resourcesVpcConfig).toMatchObject({ publicAccessCidrs: ['198.51.100.0/24', '203.0.113.7/32'], clusterSecurityGroupId: 'sg-0c1d2e3f4a5b6c7d8' });
    expect(subnet.AvailableIpAddressCount).toBeLessThanOrEqual(1);
  });

  it('get-console-output shows what nodeadm printed on the unregistered instance', async () => {
    const group = (await aws('autoscaling', 'describe-auto-scaling-groups')).AutoScalingGroups.find(
      (g: { Tags: { Key: string; Value: string }[] }) => g.Tags.some((t) => t.Key === 'eks:nodegroup-name' && t.Value === 'new_nodegroup_2'),
    );
    const instanceId = group.Instances[0].InstanceId;

    const console = await aws('ec2', 'get-console-output', '--instance-id', instanceId);

    expect(console.InstanceId).toBe(instanceId);
    // the CLI decodes the base64 Output, as it does against AWS
    expect(console.Output).toMatch(/nodeadm\[\d+\]: .*"msg":"Command failed"/);
  });
});
