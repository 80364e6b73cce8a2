import {
  authorizeNodeRead,
  NODE_READER_GROUP,
  principalArnForAccessEntries,
} from '../../../../emulator/kubernetes/authorizer';
import type { KubeAccessEntry } from '../../../../emulator/kubernetes/server';
import { POLICY } from './support/cluster-fixtures';

const ROLE = 'arn:aws:iam::123456789012:role/node-join-remediator';

describe('authorizeNodeRead', () => {
  it.each([
    ['AmazonEKSClusterAdminPolicy', { accessPolicies: [POLICY('AmazonEKSClusterAdminPolicy')] }, true],
    ['AmazonEKSAdminPolicy', { accessPolicies: [POLICY('AmazonEKSAdminPolicy')] }, true],
    ['AmazonEKSAdminViewPolicy', { accessPolicies: [POLICY('AmazonEKSAdminViewPolicy')] }, true],
    ['only AmazonEKSViewPolicy', { accessPolicies: [POLICY('AmazonEKSViewPolicy')] }, false],
    ['only AmazonEKSEditPolicy', { accessPolicies: [POLICY('AmazonEKSEditPolicy')] }, false],
    ['the system:masters group', { kubernetesGroups: ['system:masters'] }, true],
    ['the node-reader group', { kubernetesGroups: [NODE_READER_GROUP] }, true],
    ['an unrelated group', { kubernetesGroups: ['developers'] }, false],
    ['an empty entry', {}, false],
  ])('an access entry with %s → allowed: %s', (_name, grants, allowed) => {
    // Prepare
    const entries: KubeAccessEntry[] = [{ principalArn: ROLE, ...grants }];

    // Act
    const decision = authorizeNodeRead(ROLE, entries, 'list');

    // Assess
    expect(decision.allowed).toBe(allowed);
  });

  it('refuses a principal without an access entry, with the API server wording', () => {
    // Prepare
    const entries: KubeAccessEntry[] = [{ principalArn: 'arn:aws:iam::123456789012:role/someone-else', accessPolicies: [POLICY('AmazonEKSClusterAdminPolicy')] }];

    // Act
    const list = authorizeNodeRead(ROLE, entries, 'list');
    const get = authorizeNodeRead(ROLE, entries, 'get', 'ip-10-42-1-1.us-west-2.compute.internal');

    // Assess
    expect(list).toEqual({
      allowed: false,
      message: `nodes is forbidden: User "${ROLE}" cannot list resource "nodes" in API group "" at the cluster scope`,
    });
    expect(get).toEqual({
      allowed: false,
      message: `nodes "ip-10-42-1-1.us-west-2.compute.internal" is forbidden: User "${ROLE}" cannot get resource "nodes" in API group "" at the cluster scope`,
    });
  });

  it('matches an assumed-role session to the access entry of its role', () => {
    // Prepare
    const session = 'arn:aws:sts::123456789012:assumed-role/node-join-remediator/lambda-session';
    const entries: KubeAccessEntry[] = [{ principalArn: ROLE, accessPolicies: [POLICY('AmazonEKSAdminViewPolicy')] }];

    // Act
    const decision = authorizeNodeRead(session, entries, 'list');

    // Assess
    expect(principalArnForAccessEntries(session)).toBe(ROLE);
    expect(decision.allowed).toBe(true);
  });
});
