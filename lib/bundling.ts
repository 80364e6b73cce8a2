/**
 * esbuild settings of the Lambda bundle, shared by the construct (NodejsFunction) and
 * scripts/measure-bundle.ts so that what is measured is what is deployed. No CDK imports.
 */
import * as path from 'path';

export const REPO_ROOT = path.join(__dirname, '..');
export const HANDLER_ENTRY = path.join(REPO_ROOT, 'lambda', 'handler.ts');

/** Lambda runtime nodejs24.x. */
export const BUNDLING_TARGET = 'node24';

/** Prefer packages' ES module builds, so esbuild can tree-shake them. */
export const MAIN_FIELDS = ['module', 'main'];

/** ESM output still meets `require()` of Node built-ins inside CommonJS dependencies. */
export const ESM_REQUIRE_SHIM = "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/** The SDK's default credential chain, replaced in the bundle by the environment provider alone. */
export const NODE_CREDENTIAL_PROVIDER = '@aws-sdk/credential-provider-node';

/**
 * esbuild `alias` of the deployed bundle: Lambda gives the function its credentials in the
 * environment, so only that provider is bundled (lambda/aws/credentials-from-environment.ts).
 * The path is relative to REPO_ROOT, esbuild's working directory.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  [NODE_CREDENTIAL_PROVIDER]: './lambda/aws/credentials-from-environment.ts',
};
