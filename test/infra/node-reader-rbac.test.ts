/** deploy/kubernetes/node-reader-rbac.yaml: the least-privilege alternative to the EKS access policy. */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { NODE_READER_GROUP } from '../../lib/node-join-remediator';
import { onlyResource, synthRemediator } from './support/synth';


interface KubernetesObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { apiGroup: string; kind: string; name: string }[];
}

describe('node-reader-rbac.yaml', () => {
  const manifest = yaml.loadAll(
    fs.readFileSync(path.join(__dirname, '..', '..', 'deploy', 'kubernetes', 'node-reader-rbac.yaml'), 'utf8'),
  ) as KubernetesObject[];
  const clusterRole = manifest.find((object) => object.kind === 'ClusterRole');
  const binding = manifest.find((object) => object.kind === 'ClusterRoleBinding');
  const role = manifest.find((object) => object.kind === 'Role');
  const roleBinding = manifest.find((object) => object.kind === 'RoleBinding');

  it('grants reads of nodes, webhook configurations and endpointslices cluster-wide, and nothing else', () => {
    expect(manifest).toHaveLength(4);
    expect(clusterRole?.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list'] },
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations'], verbs: ['list'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
    ]);
    expect(JSON.stringify(manifest)).not.toMatch(/"(create|update|patch|delete|watch|\*)"/);
  });

  it('reads exactly one ConfigMap: kube-system/aws-auth, by name, bound to the same group', () => {
    expect(role?.metadata).toMatchObject({ namespace: 'kube-system' });
    expect(role?.rules).toEqual([{ apiGroups: [''], resources: ['configmaps'], resourceNames: ['aws-auth'], verbs: ['get'] }]);
    expect(roleBinding?.metadata).toMatchObject({ namespace: 'kube-system' });
    expect(roleBinding?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role?.metadata.name });
    expect(roleBinding?.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NODE_READER_GROUP }]);
  });

  it('binds that ClusterRole to the group the construct documents', () => {
    expect(binding?.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole?.metadata.name });
    expect(binding?.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NODE_READER_GROUP }]);
  });

  it('is what an access entry with kubernetesGroups refers to', () => {
    const { template } = synthRemediator({ clusterNames: ['eks-workshop'], kubernetesGroups: [NODE_READER_GROUP] });
    expect(onlyResource(template, 'AWS::EKS::AccessEntry').properties.KubernetesGroups).toEqual([binding?.subjects?.[0].name]);
  });
});

describe('the emulator and the CDK agree on the node-reader group', () => {
  it('uses the same Kubernetes group name as the construct and the shipped manifest', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { NODE_READER_GROUP: emulatorGroup } = require('../../emulator/kubernetes/authorizer') as { NODE_READER_GROUP: string };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { NODE_READER_GROUP: constructGroup } = require('../../lib/node-join-remediator') as { NODE_READER_GROUP: string };
    expect(emulatorGroup).toBe(constructGroup);
  });
});
