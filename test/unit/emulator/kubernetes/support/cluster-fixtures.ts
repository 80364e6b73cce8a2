/**
 * Test doubles for the emulator's Kubernetes API: a fake cluster view over fixture nodes,
 * EKS tokens minted independently of lambda/kubernetes/token.ts, and an HTTPS client that
 * trusts only the CA it is given.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest, type Agent } from 'node:https';
import { join } from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { KubeAccessEntry, KubeClusterView, KubePrincipal } from '../../../../../emulator/kubernetes/server';

export const ACCOUNT = '123456789012';
export const POLICY = (name: string): string => `arn:aws:eks::aws:cluster-access-policy/${name}`;

export const OPERATOR: KubePrincipal = {
  accessKeyId: 'AKIAEMULATOROPERATOR',
  secretAccessKey: 'operator/secret/key/that/is/forty/chars0',
  arn: `arn:aws:iam::${ACCOUNT}:role/platform-admin`,
};
export const REMEDIATOR: KubePrincipal = {
  accessKeyId: 'AKIAEMULATORREMEDIAT',
  secretAccessKey: 'remediator+secret+key+forty+characters00',
  arn: `arn:aws:iam::${ACCOUNT}:role/node-join-remediator`,
};
export const VIEWER: KubePrincipal = {
  accessKeyId: 'AKIAEMULATORVIEWER01',
  secretAccessKey: 'viewer-secret-key-forty-characters-long0',
  arn: `arn:aws:iam::${ACCOUNT}:role/read-only-viewer`,
};
export const STRANGER: KubePrincipal = {
  accessKeyId: 'AKIAEMULATORSTRANGER',
  secretAccessKey: 'stranger-secret-key-forty-characters-ok0',
  arn: `arn:aws:iam::${ACCOUNT}:role/no-access-entry`,
};

export const ACCESS_ENTRIES: KubeAccessEntry[] = [
  { principalArn: OPERATOR.arn, accessPolicies: [POLICY('AmazonEKSClusterAdminPolicy')] },
  { principalArn: REMEDIATOR.arn, accessPolicies: [POLICY('AmazonEKSAdminViewPolicy')] },
  { principalArn: VIEWER.arn, accessPolicies: [POLICY('AmazonEKSViewPolicy')] },
];

export type FixtureNode = Record<string, unknown> & { metadata: { name: string; labels: Record<string, string> } };

export function loadFixtureNodes(): FixtureNode[] {
  const path = join(__dirname, '../../../../fixtures/kubernetes-nodes/eks-workshop.nodes.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { items: FixtureNode[] }).items;
}

export function fakeClusterView(overrides: Partial<KubeClusterView> = {}): KubeClusterView {
  const nodes = loadFixtureNodes();
  return {
    clusterName: 'eks-workshop',
    region: 'us-west-2',
    principals: () => [OPERATOR, REMEDIATOR, VIEWER, STRANGER],
    accessEntries: () => ACCESS_ENTRIES,
    nodes: () => nodes,
    ...overrides,
  };
}

export interface MintTokenOptions {
  clusterName: string;
  principal: Pick<KubePrincipal, 'accessKeyId' | 'secretAccessKey'>;
  sessionToken?: string;
  region?: string;
  signingDate?: Date;
  /** where the URL points; defaults to sts.<region>.amazonaws.com */
  host?: string;
  protocol?: 'https:' | 'http:';
  expiresIn?: number;
}

/** The presigned STS URL an EKS token wraps, in aws-iam-authenticator's parameter order. */
export async function presignedCallerIdentityUrl(options: MintTokenOptions): Promise<string> {
  const region = options.region ?? 'us-west-2';
  const host = options.host ?? `sts.${region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: 'sts',
    region,
    sha256: Sha256,
    credentials: { ...options.principal, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) },
  });
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: options.protocol ?? 'https:',
      hostname: host.replace(/:\d+$/, ''),
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, 'x-k8s-aws-id': options.clusterName },
    }),
    { signingDate: options.signingDate ?? new Date(), expiresIn: options.expiresIn ?? 60 },
  );
  const query = presigned.query ?? {};
  const ordered = Object.keys(query)
    .filter((key) => key !== 'X-Amz-Signature')
    .sort()
    .concat('X-Amz-Signature')
    .map((key) => `${key}=${encodeRfc3986(String(query[key]))}`)
    .join('&');
  return `${options.protocol ?? 'https:'}//${host}/?${ordered}`;
}

export function tokenForUrl(url: string): string {
  return `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url')}`;
}

export async function mintEksToken(options: MintTokenOptions): Promise<string> {
  return tokenForUrl(await presignedCallerIdentityUrl(options));
}

function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface HttpsAnswer {
  statusCode: number;
  contentType: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, shape asserted by each test
  body: any;
}

/** GET over real TLS, trusting only `caPem` (no system roots). */
export function httpsGet(
  endpoint: string,
  path: string,
  options: { caPem: string; token?: string; accept?: string; agent?: Agent; method?: string },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      new URL(path, endpoint),
      {
        method: options.method ?? 'GET',
        ca: options.caPem,
        ...(options.agent ? { agent: options.agent } : { agent: false }),
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...(options.accept ? { accept: options.accept } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = response.headers['content-type'];
          resolve({
            statusCode: response.statusCode ?? 0,
            contentType,
            body: contentType?.startsWith('application/json') ? JSON.parse(text) : text,
          });
        });
      },
    );
    request.on('error', reject);
    request.end();
  });
}

export function caPemOf(certificateAuthorityData: string): string {
  return Buffer.from(certificateAuthorityData, 'base64').toString('utf8');
}
