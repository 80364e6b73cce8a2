/** Shared set-up for the template tests: synth once per variant, without esbuild unless asked. */
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodeJoinRemediator, type NodeJoinRemediatorProps } from '../../../lib/node-join-remediator';

export const TEST_ENV = { account: '123456789012', region: 'us-west-2' } as const;

export interface SynthesizedRemediator {
  readonly stack: Stack;
  readonly remediator: NodeJoinRemediator;
  readonly template: Template;
}

/** Inline code stands in for the bundle: template tests need the wiring, not esbuild's output. */
export function synthRemediator(props: NodeJoinRemediatorProps = {}): SynthesizedRemediator {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: TEST_ENV });
  const remediator = new NodeJoinRemediator(stack, 'Remediator', {
    code: lambda.Code.fromInline('export const handler = async () => ({});'),
    ...props,
  });
  return { stack, remediator, template: Template.fromStack(stack) };
}

/** The one resource of a type; fails the test if there are zero or several. */
export function onlyResource(template: Template, type: string): { logicalId: string; properties: Record<string, any> } {
  const resources = Object.entries(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  const [[logicalId, resource]] = resources;
  return { logicalId, properties: resource.Properties ?? {} };
}

export function loadFixture<T = Record<string, unknown>>(relativePath: string): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', relativePath), 'utf8')) as T;
}
