import { KubernetesApiError } from '../../../lambda/errors';
import { countReadyEndpoints, endpointSlicesPath, parseAwsAuthConfigMap, parseWebhookConfigurations } from '../../../lambda/kubernetes/identity-objects';

describe('parseAwsAuthConfigMap', () => {
  it('reads mapRoles YAML as `kubectl get configmap aws-auth -o json` shows it', () => {
    const configMap = {
      kind: 'ConfigMap',
      data: {
        mapRoles: '- groups:\n  - system:bootstrappers\n  - system:nodes\n  rolearn: arn:aws:iam::123456789012:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n',
      },
    };
    expect(parseAwsAuthConfigMap(configMap)).toEqual([
      { rolearn: 'arn:aws:iam::123456789012:role/nodes', username: 'system:node:{{EC2PrivateDNSName}}', groups: ['system:bootstrappers', 'system:nodes'] },
    ]);
  });

  it('treats a missing mapRoles as no mapping, and refuses YAML that is not a list', () => {
    expect(parseAwsAuthConfigMap({ data: {} })).toEqual([]);
    expect(() => parseAwsAuthConfigMap({ data: { mapRoles: 'rolearn: x' } })).toThrow(KubernetesApiError);
  });
});

describe('parseWebhookConfigurations', () => {
  it('flags webhooks whose rules cover CREATE of core nodes; failurePolicy defaults to Fail', () => {
    const list = {
      items: [
        {
          metadata: { name: 'node-policy' },
          webhooks: [
            { name: 'a.example.com', rules: [{ apiGroups: [''], operations: ['CREATE'], resources: ['nodes'] }], clientConfig: { service: { namespace: 'p', name: 'svc' } } },
            { name: 'b.example.com', failurePolicy: 'Ignore', rules: [{ apiGroups: ['apps'], operations: ['*'], resources: ['deployments'] }], clientConfig: { url: 'https://x' } },
          ],
        },
      ],
    };
    expect(parseWebhookConfigurations(list, 'ValidatingWebhookConfiguration')).toEqual([
      { kind: 'ValidatingWebhookConfiguration', configurationName: 'node-policy', webhookName: 'a.example.com', failurePolicy: 'Fail', interceptsNodeCreate: true, service: { namespace: 'p', name: 'svc' } },
      { kind: 'ValidatingWebhookConfiguration', configurationName: 'node-policy', webhookName: 'b.example.com', failurePolicy: 'Ignore', interceptsNodeCreate: false, url: 'https://x' },
    ]);
  });
});

describe('countReadyEndpoints', () => {
  it('counts endpoints whose ready condition is not false, over every slice', () => {
    const list = { items: [{ endpoints: [{ conditions: { ready: true } }, { conditions: { ready: false } }] }, { endpoints: [{}] }, { endpoints: [] }] };
    expect(countReadyEndpoints(list, 'p', 'svc')).toEqual({ namespace: 'p', name: 'svc', readyEndpoints: 2 });
    expect(endpointSlicesPath('p', 'svc')).toBe('/apis/discovery.k8s.io/v1/namespaces/p/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dsvc');
  });
});
