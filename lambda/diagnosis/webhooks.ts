/**
 * NODE_WEBHOOK_BLOCKING: an admission webhook with failurePolicy Fail intercepts CREATE of Node
 * objects and its Service has no ready endpoint, so the API server refuses every new Node
 * (Kubernetes docs, "Dynamic Admission Control": failurePolicy Fail rejects the request when the
 * webhook cannot be called).
 */
import type { WebhookInfo } from '../identity-model';
import type { Snapshot } from '../model';
import type { Finding } from '../report';
import type { CheckContext } from './index';

/** A webhook that can stop Node registration: failurePolicy Fail and a rule on Node CREATE. */
export function mayBlockNodes(webhook: WebhookInfo): boolean {
  return webhook.failurePolicy === 'Fail' && webhook.interceptsNodeCreate;
}

export function checkNodeWebhooks(snapshot: Snapshot, context: CheckContext): Finding[] {
  if (context.unregisteredInstanceIds.length === 0) return [];
  const reading = snapshot.identity?.webhooks;
  if (reading?.status !== 'read') return [];
  const ready = new Map(reading.value.services.map((s) => [`${s.namespace}/${s.name}`, s.readyEndpoints]));
  const blocking = reading.value.webhooks.filter(
    (w) => mayBlockNodes(w) && w.service !== undefined && ready.get(`${w.service.namespace}/${w.service.name}`) === 0,
  );
  return blocking.map((w) => {
    const kind = w.kind === 'ValidatingWebhookConfiguration' ? 'validatingwebhookconfiguration' : 'mutatingwebhookconfiguration';
    return {
      code: 'NODE_WEBHOOK_BLOCKING' as const,
      severity: 'error' as const,
      resourceId: w.configurationName,
      message:
        `The admission webhook ${w.webhookName} (${w.kind} ${w.configurationName}) intercepts Node creation with failurePolicy Fail, ` +
        `and its service ${w.service!.namespace}/${w.service!.name} has no ready endpoint: new nodes are refused.`,
      remediable: false,
      evidence: {
        kind: w.kind,
        configurationName: w.configurationName,
        webhookName: w.webhookName,
        failurePolicy: w.failurePolicy,
        service: w.service,
        readyEndpoints: 0,
        fix:
          `kubectl -n ${w.service!.namespace} get endpointslices -l kubernetes.io/service-name=${w.service!.name} ` +
          `(bring the webhook's pods back) or kubectl patch ${kind} ${w.configurationName} --type=json ` +
          `-p='[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]'`,
      },
    };
  });
}
