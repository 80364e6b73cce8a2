/**
 * The identity objects of a cluster's Kubernetes API (read-only): the kube-system/aws-auth
 * ConfigMap, Validating/MutatingWebhookConfigurations and the EndpointSlices of the webhooks'
 * Services — shaped as the API server serves them, so that `kubectl get configmap aws-auth -n
 * kube-system -o yaml` and the remediator's client read them unchanged.
 */
import { dump } from 'js-yaml';
import type { ScenarioRoleMapping, ScenarioWebhook } from '../scenario-identity';
import { badRequest, methodNotAllowed, notFound, type KubeResponse } from './status';

export const WEBHOOK_NAMESPACE = 'webhooks';
const CREATED = '2024-01-01T00:00:00Z';

/** What the identity routes read from the cluster (live). */
export interface KubeIdentityView {
  /** null: no aws-auth ConfigMap */
  awsAuthMapRoles(): ScenarioRoleMapping[] | null;
  webhooks(): ScenarioWebhook[];
}

export function serviceOf(webhook: ScenarioWebhook): { namespace: string; name: string } {
  return webhook.service ?? { namespace: WEBHOOK_NAMESPACE, name: webhook.name.split('.')[0] ?? webhook.name };
}

export function awsAuthConfigMap(mapRoles: ScenarioRoleMapping[]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'aws-auth', namespace: 'kube-system', uid: '8d0c6f38-0f0b-4e0e-9a57-1b0b3c7c2a11', resourceVersion: '1042', creationTimestamp: CREATED },
    data: { mapRoles: dump(mapRoles.map((m) => ({ groups: m.groups, rolearn: m.rolearn, ...(m.username ? { username: m.username } : {}) }))) },
  };
}

function webhookConfiguration(webhook: ScenarioWebhook): Record<string, unknown> {
  const kind = webhook.kind === 'Mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration';
  const service = serviceOf(webhook);
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind,
    metadata: { name: webhook.name, uid: `0f6f1c9e-${webhook.name.length.toString(16).padStart(4, '0')}-4000-8000-000000000000`, resourceVersion: '2001', creationTimestamp: CREATED },
    webhooks: [
      {
        name: webhook.name.includes('.') ? webhook.name : `${webhook.name}.example.com`,
        clientConfig: { service: { namespace: service.namespace, name: service.name, path: '/validate', port: 443 }, caBundle: '' },
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: webhook.operations ?? ['CREATE'],
            resources: [webhook.rules],
            scope: '*',
          },
        ],
        failurePolicy: webhook.failurePolicy,
        matchPolicy: 'Equivalent',
        sideEffects: 'None',
        timeoutSeconds: 10,
        admissionReviewVersions: ['v1'],
        ...(kind === 'MutatingWebhookConfiguration' ? { reinvocationPolicy: 'Never' } : {}),
      },
    ],
  };
}

function endpointSlice(webhook: ScenarioWebhook): Record<string, unknown> {
  const service = serviceOf(webhook);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${service.name}-x7k2p`,
      namespace: service.namespace,
      labels: { 'kubernetes.io/service-name': service.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      creationTimestamp: CREATED,
    },
    addressType: 'IPv4',
    // A Service whose pods are gone keeps its slice, with no endpoints in it.
    endpoints: webhook.serviceReady ? [{ addresses: ['10.42.100.17'], conditions: { ready: true, serving: true, terminating: false } }] : [],
    ports: [{ name: 'https', port: 9443, protocol: 'TCP' }],
  };
}

const list = (kind: string, apiVersion: string, items: unknown[]) => ({ kind, apiVersion, metadata: { resourceVersion: '3001' }, items });

/** What a request asks for, when it is one of the identity resources. */
export interface IdentityResource {
  group: string;
  resource: 'configmaps' | 'validatingwebhookconfigurations' | 'mutatingwebhookconfigurations' | 'endpointslices';
  namespace?: string;
  name?: string;
}

export function identityResourceOf(path: string): IdentityResource | undefined {
  let m = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps(?:\/([^/]+))?$/.exec(path);
  if (m) return { group: '', resource: 'configmaps', namespace: decodeURIComponent(m[1]!), ...(m[2] ? { name: decodeURIComponent(m[2]) } : {}) };
  m = /^\/apis\/admissionregistration\.k8s\.io\/v1\/(validatingwebhookconfigurations|mutatingwebhookconfigurations)(?:\/([^/]+))?$/.exec(path);
  if (m) return { group: 'admissionregistration.k8s.io', resource: m[1] as IdentityResource['resource'], ...(m[2] ? { name: decodeURIComponent(m[2]) } : {}) };
  m = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/.exec(path);
  if (m) return { group: 'discovery.k8s.io', resource: 'endpointslices', namespace: decodeURIComponent(m[1]!) };
  return undefined;
}

/** Serves one (already authorized) identity resource request. */
export function serveIdentityResource(method: string, target: IdentityResource, query: URLSearchParams, view: KubeIdentityView): KubeResponse {
  if (method !== 'GET') return methodNotAllowed(method);
  switch (target.resource) {
    case 'configmaps': {
      const mapRoles = target.namespace === 'kube-system' ? view.awsAuthMapRoles() : null;
      const items = mapRoles === null ? [] : [awsAuthConfigMap(mapRoles)];
      if (target.name === undefined) return { statusCode: 200, body: list('ConfigMapList', 'v1', items) };
      const found = items.find(() => target.name === 'aws-auth');
      return found ? { statusCode: 200, body: found } : notFound(`configmaps "${target.name}" not found`, { name: target.name, kind: 'configmaps' });
    }
    case 'validatingwebhookconfigurations':
    case 'mutatingwebhookconfigurations': {
      const wanted = target.resource === 'mutatingwebhookconfigurations' ? 'Mutating' : 'Validating';
      const items = view.webhooks().filter((w) => (w.kind ?? 'Validating') === wanted).map(webhookConfiguration);
      const kind = wanted === 'Mutating' ? 'MutatingWebhookConfiguration' : 'ValidatingWebhookConfiguration';
      if (target.name === undefined) return { statusCode: 200, body: list(`${kind}List`, 'admissionregistration.k8s.io/v1', items) };
      const found = items.find((i) => (i.metadata as { name: string }).name === target.name);
      return found ? { statusCode: 200, body: found } : notFound(`${target.resource}.admissionregistration.k8s.io "${target.name}" not found`, { name: target.name, kind: target.resource });
    }
    case 'endpointslices': {
      const selector = query.get('labelSelector') ?? '';
      const wantedService = /^kubernetes\.io\/service-name=(.+)$/.exec(selector)?.[1];
      if (selector !== '' && wantedService === undefined) return badRequest(`the emulator filters endpointslices by kubernetes.io/service-name=<name> only, got "${selector}"`);
      const items = view
        .webhooks()
        .filter((w) => serviceOf(w).namespace === target.namespace && (wantedService === undefined || serviceOf(w).name === wantedService))
        .map(endpointSlice);
      return { statusCode: 200, body: list('EndpointSliceList', 'discovery.k8s.io/v1', items) };
    }
  }
}
