/**
 * VPC_DNS_DISABLED and CUSTOM_DNS_SERVERS (DescribeVpcAttribute, DescribeDhcpOptions).
 *
 * - enableDnsSupport off while the DHCP options use AmazonProvidedDNS: nothing answers DNS in
 *   the VPC, so nodeadm cannot resolve any AWS API endpoint.
 * - enableDnsHostnames off while the nodes' path depends on private DNS (cluster endpoint private
 *   only, or an endpoint-only subnet): the private hosted zones of the cluster endpoint and of the
 *   interface endpoints are not served, so the names resolve to public addresses nodes cannot reach.
 *   Source: Amazon EKS User Guide, "Cluster API server endpoint" and "Amazon VPC: DNS attributes".
 * - Name servers other than AmazonProvidedDNS: a warning (they must forward to the VPC resolver
 *   for the private zones to work; the remediator cannot tell).
 *
 * An error only when unregistered instances exist (the VPC is their path); a warning otherwise.
 */
import type { Finding } from '../report';
import type { CauseCheck } from './index';
import { clusterEndpointIsPublicOnly, isEndpointOnly, routeTableOfSubnet, severityOnPath, unregisteredBySubnet } from './node-path';

export const AMAZON_PROVIDED_DNS = 'AmazonProvidedDNS';

export const checkDns: CauseCheck = (snapshot, context) => {
  const vpc = snapshot.network.vpc;
  if (!vpc) return [];
  const findings: Finding[] = [];
  const subnets = [...unregisteredBySubnet(snapshot, context.unregisteredInstanceIds).keys()];
  const onPath = subnets.length > 0;
  const usesAmazonDns = vpc.domainNameServers.includes(AMAZON_PROVIDED_DNS);
  const evidence = {
    vpcId: vpc.vpcId,
    enableDnsSupport: vpc.enableDnsSupport,
    enableDnsHostnames: vpc.enableDnsHostnames,
    dhcpOptionsId: vpc.dhcpOptionsId ?? null,
    domainNameServers: vpc.domainNameServers,
    subnetIds: subnets,
  };

  if (!vpc.enableDnsSupport && usesAmazonDns) {
    findings.push({
      code: 'VPC_DNS_DISABLED',
      severity: severityOnPath(onPath),
      resourceId: vpc.vpcId,
      message:
        `DNS resolution (enableDnsSupport) is off in ${vpc.vpcId}, whose DHCP options use AmazonProvidedDNS: ` +
        'instances cannot resolve the cluster endpoint or any AWS API, so nodes cannot join.',
      remediable: false,
      evidence: { ...evidence, fix: `aws ec2 modify-vpc-attribute --vpc-id ${vpc.vpcId} --enable-dns-support "{\\"Value\\":true}"` },
    });
  } else if (!vpc.enableDnsHostnames) {
    const privateDnsSubnets = subnets.filter((subnetId) => {
      const table = routeTableOfSubnet(subnetId, snapshot);
      return table !== undefined && isEndpointOnly(table, snapshot);
    });
    const privateOnlyCluster = !snapshot.cluster.endpointPublicAccess && snapshot.cluster.endpointPrivateAccess;
    const dependsOnPrivateDns = privateOnlyCluster || privateDnsSubnets.length > 0;
    if (dependsOnPrivateDns) {
      const why = privateOnlyCluster
        ? `the cluster endpoint of ${snapshot.cluster.name} is private only`
        : `subnet(s) ${privateDnsSubnets.join(', ')} reach AWS only through VPC endpoints`;
      findings.push({
        code: 'VPC_DNS_DISABLED',
        severity: severityOnPath(onPath),
        resourceId: vpc.vpcId,
        message:
          `DNS hostnames (enableDnsHostnames) are off in ${vpc.vpcId}, but ${why}: the private DNS names nodes ` +
          'depend on are not served, so they resolve to public addresses the nodes cannot reach.',
        remediable: false,
        evidence: {
          ...evidence,
          clusterEndpointPublicAccess: snapshot.cluster.endpointPublicAccess,
          clusterEndpointPrivateAccess: snapshot.cluster.endpointPrivateAccess,
          clusterEndpointPublicOnly: clusterEndpointIsPublicOnly(snapshot.cluster),
          fix: `aws ec2 modify-vpc-attribute --vpc-id ${vpc.vpcId} --enable-dns-hostnames "{\\"Value\\":true}"`,
        },
      });
    }
  }

  const custom = vpc.domainNameServers.filter((s) => s !== AMAZON_PROVIDED_DNS);
  if (custom.length > 0) {
    findings.push({
      code: 'CUSTOM_DNS_SERVERS',
      severity: 'warning',
      resourceId: vpc.dhcpOptionsId ?? vpc.vpcId,
      message:
        `The DHCP options of ${vpc.vpcId} use name servers ${custom.join(', ')} instead of AmazonProvidedDNS: they must ` +
        'resolve the AWS API names (and forward the VPC private zones to the VPC resolver) for nodes to join.',
      remediable: false,
      evidence: {
        ...evidence,
        fix:
          `Check that ${custom.join(', ')} resolve ec2.${snapshot.region}.amazonaws.com and the cluster endpoint from the VPC, ` +
          `or associate DHCP options using AmazonProvidedDNS: aws ec2 associate-dhcp-options --vpc-id ${vpc.vpcId} --dhcp-options-id <options with AmazonProvidedDNS>`,
      },
    });
  }
  return findings;
};
