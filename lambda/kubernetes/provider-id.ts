/**
 * Node `spec.providerID` → AWS id, with the rules of cloud-provider-aws
 * (KubernetesInstanceID.MapToAWSInstanceID): `aws://[account]/[az]/<id>` or a bare id; the id
 * is the last path token and must look like an EC2 instance (`i-…`) or a Fargate node.
 */

export type ProviderIdentity = { kind: 'ec2'; instanceId: string } | { kind: 'fargate'; fargateId: string };

const EC2_INSTANCE_ID = /^i-[^/]*$/;
const FARGATE_ID = /^fargate-/;
const AWS_SCHEME = 'aws://';

/** What a providerID names, or undefined when cloud-provider-aws would reject it. */
export function parseProviderId(providerID: string): ProviderIdentity | undefined {
  if (providerID === '') return undefined;
  const tokens = providerPathTokens(providerID);
  const id = idFromTokens(tokens);
  if (id === undefined || id === '') return undefined;
  if (EC2_INSTANCE_ID.test(id)) return { kind: 'ec2', instanceId: id };
  if (FARGATE_ID.test(id)) return { kind: 'fargate', fargateId: id };
  return undefined;
}

/**
 * The EC2 instance id behind a Node, or undefined. Fargate nodes are deliberately undefined:
 * they are not instances of a managed node group, so they can never match one of its
 * instances (cloud-provider-aws itself returns their `fargate-…` id).
 */
export function instanceIdFromProviderId(providerID: string): string | undefined {
  const identity = parseProviderId(providerID);
  return identity?.kind === 'ec2' ? identity.instanceId : undefined;
}

/** Path tokens after `aws://<authority>`; a bare id is its own single token. */
function providerPathTokens(providerID: string): string[] {
  if (!providerID.startsWith(AWS_SCHEME)) return trimSlashes(providerID).split('/');
  const rest = providerID.slice(AWS_SCHEME.length);
  const pathStart = rest.indexOf('/');
  const path = pathStart === -1 ? '' : rest.slice(pathStart);
  return trimSlashes(path).split('/');
}

function idFromTokens(tokens: string[]): string | undefined {
  if (tokens.length === 1) return tokens[0]; // <id>
  if (tokens.length === 2) return tokens[1]; // <az>/<id>
  // Fargate nodes carry a third token: <az>/<fargate-profile-ish>/<fargate-id>
  if (tokens.length === 3 && FARGATE_ID.test(tokens[2] ?? '')) return tokens[2];
  return undefined;
}

function trimSlashes(value: string): string {
  return value.replace(/^\/+|\/+$/g, '');
}
