/**
 * Pure parsing of the Kubernetes objects the identity checks read: the kube-system/aws-auth
 * ConfigMap, Validating/MutatingWebhookConfigurations and EndpointSlices (shapes of
 * `kubectl get ... -o json`). Anything malformed raises KubernetesApiError naming the object.
 */
import { load } from 'js-yaml';
import { KubernetesApiError } from '../errors';
import type { AwsAuthRoleMapping, ServiceEndpoints, WebhookInfo } from '../identity-model';

export const AWS_AUTH_NAMESPACE = 'kube-system';
export const AWS_AUTH_NAME = 'aws-auth';
export const AWS_AUTH_PATH = `/api/v1/namespaces/${AWS_AUTH_NAMESPACE}/configmaps/${AWS_AUTH_NAME}`;
export const VALIDATING_WEBHOOKS_PATH = '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations';
export const MUTATING_WEBHOOKS_PATH = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
/** EndpointSlices carry their Service's name in this label (discovery.k8s.io/v1). */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export function endpointSlicesPath(namespace: string, serviceName: string): string {
  const selector = encodeURIComponent(`${SERVICE_NAME_LABEL}=${serviceName}`);
  return `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/endpointslices?labelSelector=${selector}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `data.mapRoles` of aws-auth (a YAML list in a string) → role mappings. */
export function parseAwsAuthConfigMap(configMap: unknown): AwsAuthRoleMapping[] {
  const data = isRecord(configMap) && isRecord(configMap.data) ? configMap.data : {};
  const text = data.mapRoles;
  if (text === undefined || text === '') return [];
  if (typeof text !== 'string') throw new KubernetesApiError('aws-auth data.mapRoles is not a string');
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new KubernetesApiError(`aws-auth data.mapRoles is not valid YAML: ${(error as Error).message}`, undefined, { cause: error });
  }
  if (parsed === null || parsed === undefined) return [];
  if (!Array.isArray(parsed)) throw new KubernetesApiError('aws-auth data.mapRoles is not a YAML list');
  return parsed.filter(isRecord).map((item) => ({
    rolearn: typeof item.rolearn === 'string' ? item.rolearn : '',
    ...(typeof item.username === 'string' ? { username: item.username } : {}),
    groups: strings(item.groups),
  }));
}

/** Does one admission rule cover CREATE of core-group `nodes`? (`*` matches everything.) */
function ruleInterceptsNodeCreate(rule: unknown): boolean {
  if (!isRecord(rule)) return false;
  const any = (list: string[], wanted: string) => list.includes('*') || list.includes(wanted);
  return (
    any(strings(rule.apiGroups), '') &&
    any(strings(rule.operations), 'CREATE') &&
    strings(rule.resources).some((r) => r === '*' || r === '*/*' || r === 'nodes')
  );
}

/** Every webhook of a ValidatingWebhookConfigurationList or MutatingWebhookConfigurationList. */
export function parseWebhookConfigurations(list: unknown, kind: WebhookInfo['kind']): WebhookInfo[] {
  if (!isRecord(list) || !Array.isArray(list.items)) throw new KubernetesApiError(`the API server answered with something that is not a ${kind}List`);
  return list.items.filter(isRecord).flatMap((configuration) => {
    const configurationName = isRecord(configuration.metadata) && typeof configuration.metadata.name === 'string' ? configuration.metadata.name : '';
    const webhooks = Array.isArray(configuration.webhooks) ? configuration.webhooks.filter(isRecord) : [];
    return webhooks.map((webhook): WebhookInfo => {
      const clientConfig = isRecord(webhook.clientConfig) ? webhook.clientConfig : {};
      const service = isRecord(clientConfig.service) ? clientConfig.service : undefined;
      return {
        kind,
        configurationName,
        webhookName: typeof webhook.name === 'string' ? webhook.name : '',
        // admissionregistration.k8s.io/v1 defaults failurePolicy to Fail.
        failurePolicy: typeof webhook.failurePolicy === 'string' ? webhook.failurePolicy : 'Fail',
        interceptsNodeCreate: (Array.isArray(webhook.rules) ? webhook.rules : []).some(ruleInterceptsNodeCreate),
        ...(service && typeof service.name === 'string'
          ? { service: { namespace: typeof service.namespace === 'string' ? service.namespace : 'default', name: service.name } }
          : {}),
        ...(typeof clientConfig.url === 'string' ? { url: clientConfig.url } : {}),
      };
    });
  });
}

/** Ready endpoints of a Service: endpoints whose `conditions.ready` is not false, over its slices. */
export function countReadyEndpoints(list: unknown, namespace: string, name: string): ServiceEndpoints {
  if (!isRecord(list) || !Array.isArray(list.items)) throw new KubernetesApiError('the API server answered with something that is not an EndpointSliceList');
  const readyEndpoints = list.items
    .filter(isRecord)
    .flatMap((slice) => (Array.isArray(slice.endpoints) ? slice.endpoints.filter(isRecord) : []))
    // discovery.k8s.io/v1: a nil `ready` condition is to be read as ready.
    .filter((endpoint) => !(isRecord(endpoint.conditions) && endpoint.conditions.ready === false)).length;
  return { namespace, name, readyEndpoints };
}
