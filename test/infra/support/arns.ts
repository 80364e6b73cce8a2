/** Region-neutrality checks on synthesized templates. */
import { flattenCfnReference } from '../../../lib/nag';

/** Every ARN in the template, with Fn::Join / Fn::Sub flattened and references as <Name> (as cdk-nag renders them). */
export function arnsIn(node: unknown, found: string[] = []): string[] {
  if (typeof node === 'string') {
    if (node.includes('arn:')) found.push(node);
  } else if (Array.isArray(node)) {
    for (const item of node) arnsIn(item, found);
  } else if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (record['Fn::Join'] !== undefined || record['Fn::Sub'] !== undefined) {
      const flat = flattenCfnReference(node);
      if (flat.includes('arn:')) found.push(flat);
    }
    for (const value of Object.values(record)) arnsIn(value, found);
  }
  return found;
}

/** The region and account fields of each ARN that are literals (neither empty, `aws`, nor a reference). */
export function literalEnvironmentFields(arn: string): string[] {
  const literals: string[] = [];
  // References such as <AWS::Partition> hold colons: hide them before splitting on ':'.
  const masked = arn.replace(/<[^>]*>/g, (reference) => reference.replace(/:/g, '.'));
  for (const match of masked.matchAll(/arn:[^:]*:[^:]*:([^:]*):([^:]*):/g)) {
    const [, region, account] = match;
    if (region !== '' && !/^<.+>$/.test(region)) literals.push(`region "${region}" in ${arn}`);
    if (account !== '' && account !== 'aws' && !/^<.+>$/.test(account)) literals.push(`account "${account}" in ${arn}`);
  }
  return literals;
}
