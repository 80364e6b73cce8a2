/**
 * cdk-nag wiring: the packs the app runs, and the finding ids cdk-nag gives to wildcard resources
 * (so each acknowledgement targets exactly one finding, never a whole rule).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks, type NagPack } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The packs the issue asks for; any unacknowledged finding fails synthesis. */
export function nagPacks(scope?: IConstruct): NagPack[] {
  return [new AwsSolutionsChecks(scope), new ServerlessChecks(scope)];
}

export function addNagPacks(app: IConstruct): void {
  Validations.of(app).addPlugins(...nagPacks(app));
}

/** `AwsSolutions-IAM5[Resource::…]` suffixes for the wildcard resources of these statements. */
export function wildcardResourceFindings(stack: Stack, statements: readonly iam.PolicyStatement[]): string[] {
  const findings = new Set<string>();
  for (const statement of statements) {
    for (const resource of statement.resources) {
      const flat = flattenCfnReference(stack.resolve(resource));
      if (flat.includes('*')) findings.add(`Resource::${flat}`);
    }
  }
  return [...findings];
}

/** Same rendering as cdk-nag's IAM5 rule: Fn::Join concatenated, Ref/GetAtt as <Name> / <Name.Attr>. */
export function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const record = node as Record<string, unknown>;
    if (Array.isArray(record['Fn::Join'])) {
      const [delimiter, items] = record['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnReference).join(delimiter);
    }
    if (record['Fn::Sub'] !== undefined) return flattenCfnReference(record['Fn::Sub']);
    if (Array.isArray(record['Fn::GetAtt'])) {
      const [resource, attribute] = record['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
    }
    if (record['Fn::ImportValue'] !== undefined) return flattenCfnReference(record['Fn::ImportValue']);
    if (record.Ref !== undefined) return `<${flattenCfnReference(record.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * `AwsSolutions-IAM5[Action::…]` and `[Resource::…]` suffixes of a policy's resolved document:
 * for policies whose statements a library writes (e.g. a CDK custom resource's role).
 */
export function wildcardFindingsOfPolicy(stack: Stack, policy: iam.Policy): string[] {
  const document = stack.resolve(policy.document) as { Statement?: { Action?: string | string[]; Resource?: unknown }[] } | undefined;
  const findings = new Set<string>();
  for (const statement of document?.Statement ?? []) {
    for (const action of ([] as string[]).concat(statement.Action ?? [])) if (action.includes('*')) findings.add(`Action::${action}`);
    for (const resource of ([] as unknown[]).concat(statement.Resource ?? [])) {
      const flat = flattenCfnReference(resource);
      if (flat.includes('*')) findings.add(`Resource::${flat}`);
    }
  }
  return [...findings];
}
