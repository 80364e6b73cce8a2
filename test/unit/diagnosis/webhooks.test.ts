import { checkNodeWebhooks } from '../../../lambda/diagnosis/webhooks';
import { CONTEXT, snapshot } from '../../fixtures/snapshots/identity';

describe('checkNodeWebhooks', () => {
  const webhook = { kind: 'ValidatingWebhookConfiguration' as const, configurationName: 'node-policy', webhookName: 'node-policy.example.com', failurePolicy: 'Fail', interceptsNodeCreate: true, service: { namespace: 'policy', name: 'node-policy' } };

  it('reports a Fail webhook on Node CREATE whose service has no ready endpoint', () => {
    const [finding] = checkNodeWebhooks(snapshot({ webhooks: { status: 'read', value: { webhooks: [webhook], services: [{ namespace: 'policy', name: 'node-policy', readyEndpoints: 0 }] } } }), CONTEXT);
    expect(finding).toMatchObject({ code: 'NODE_WEBHOOK_BLOCKING', resourceId: 'node-policy' });
  });

  it('ignores Ignore-policy webhooks, webhooks not on nodes, and services with ready endpoints', () => {
    const services = [{ namespace: 'policy', name: 'node-policy', readyEndpoints: 0 }];
    const check = (w: typeof webhook, ready = services) => checkNodeWebhooks(snapshot({ webhooks: { status: 'read', value: { webhooks: [w], services: ready } } }), CONTEXT);
    expect(check({ ...webhook, failurePolicy: 'Ignore' })).toEqual([]);
    expect(check({ ...webhook, interceptsNodeCreate: false })).toEqual([]);
    expect(check(webhook, [{ namespace: 'policy', name: 'node-policy', readyEndpoints: 2 }])).toEqual([]);
  });
});

