/**
 * What the rest of the emulator hands to a cluster's Kubernetes API: a live, read-only view
 * of one cluster (re-read on every request, so nodes that join later show up at once).
 */

import type { KubeIdentityView } from './identity-api';

/** A scenario principal: static IAM keys and the IAM role (or user) ARN they stand for. */
export interface KubePrincipal {
  accessKeyId: string;
  secretAccessKey: string;
  /** e.g. arn:aws:iam::123456789012:role/node-join-remediator */
  arn: string;
}

/** An EKS access entry as the scenario declares it (access policies by ARN, cluster scope). */
export interface KubeAccessEntry {
  principalArn: string;
  kubernetesGroups?: string[];
  accessPolicies?: string[];
}

export interface KubeClusterView {
  clusterName: string;
  region: string;
  principals(): KubePrincipal[];
  accessEntries(): KubeAccessEntry[];
  /** full Kubernetes Node objects, current */
  nodes(): Record<string, unknown>[];
  /** aws-auth mapRoles (null: no ConfigMap), webhooks and the authentication mode, current (absent: none) */
  identity?: KubeIdentityView & { authenticationMode(): string };
  /** e.g. "127.0.0.1:4566": tokens presigned against the emulator's own AWS endpoint are accepted too */
  awsEndpointHost?: string;
  now?(): Date;
}

export interface RunningClusterApi {
  /** https://127.0.0.1:PORT */
  endpoint: string;
  /** base64 of the CA certificate PEM, as EKS DescribeCluster returns it */
  certificateAuthorityData: string;
  close(): Promise<void>;
}

/** A Kubernetes Node as JSON; only the fields the API reads are typed. */
export type KubeNode = Record<string, unknown>;
