/**
 * INSTANCE_METADATA_DISABLED: the instance metadata service is off (MetadataOptions.HttpEndpoint
 * "disabled", usually from a launch template), so nodeadm cannot read its NodeConfig user data,
 * region or credentials (awslabs/amazon-eks-ami, nodeadm/internal/aws/imds/imds.go).
 */
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';

export function checkInstanceMetadata(snapshot: Snapshot, context: CheckContext): Finding[] {
  const disabled = snapshot.instances.filter(
    (i) => context.unregisteredInstanceIds.includes(i.instanceId) && i.metadataHttpEndpoint === 'disabled',
  );
  if (disabled.length === 0) return [];
  const ids = disabled.map((i) => i.instanceId);
  return [
    {
      code: 'INSTANCE_METADATA_DISABLED',
      severity: 'error',
      resourceId: snapshot.nodegroup.nodegroupName,
      message:
        `The instance metadata service is disabled on ${ids.join(', ')} (MetadataOptions.HttpEndpoint=disabled), ` +
        'so the node cannot read its bootstrap configuration or credentials.',
      remediable: false,
      evidence: {
        instanceIds: ids,
        metadataOptions: { httpEndpoint: 'disabled' },
        fix:
          `set MetadataOptions HttpEndpoint=enabled in the node group's launch template (new version), then ` +
          `aws eks update-nodegroup-version --cluster-name ${snapshot.cluster.name} --nodegroup-name ${snapshot.nodegroup.nodegroupName} --launch-template name=<template>,version=<new>` +
          ` (for a running instance: aws ec2 modify-instance-metadata-options --instance-id ${ids[0]} --http-endpoint enabled)`,
      },
    },
  ];
}
