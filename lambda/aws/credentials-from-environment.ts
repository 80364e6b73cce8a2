/**
 * The credential provider of the deployed bundle. Lambda hands the execution role's credentials
 * to the function in its environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * so the bundle needs only the environment provider. lib/bundling.ts makes esbuild resolve
 * `@aws-sdk/credential-provider-node` (the SDK's full chain: SSO, ini files, process, IMDS,
 * web identity...) to this module, for every SDK client and for the Kubernetes token signer.
 * Local runs (CLI, tests, `invoke`) are not bundled and keep the full chain.
 *
 * Same export as @aws-sdk/credential-provider-node: `defaultProvider(init?)`. Missing variables
 * reject with the SDK's CredentialsProviderError, as the full chain does when it finds nothing.
 */
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';
import type { AwsCredentialIdentityProvider } from '@smithy/types';

export function defaultProvider(init: FromEnvInit = {}): AwsCredentialIdentityProvider {
  return fromEnv(init);
}
