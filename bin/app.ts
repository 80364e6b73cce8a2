#!/usr/bin/env node
/** CDK app entry (cdk.json "app"): context → stack. Bad context fails with one clear line. */
import { App } from 'aws-cdk-lib';
import { ValidationError } from '../lambda/errors';
import { buildRemediatorApp } from '../lib/app';

try {
  const app = new App();
  buildRemediatorApp(app);
  app.synth();
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  console.error(`eks-node-join-remediator: invalid configuration: ${error.message}`);
  process.exitCode = 1;
}
