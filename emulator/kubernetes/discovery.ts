/**
 * The discovery documents kubectl reads before `get nodes`. Only the legacy (unaggregated)
 * form is served: kubectl asks for aggregated discovery first and falls back to this when the
 * answer is plain `application/json`.
 */

/** The version the emulated control plane reports. */
export const EMULATED_SERVER_VERSION = {
  major: '1',
  minor: '30',
  gitVersion: 'v1.30.0-eks-emulator',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-01-01T00:00:00Z',
  goVersion: 'go1.22.0',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** The named API groups served: webhook configurations and endpointslices (read-only). */
export function apiGroupList(): Record<string, unknown> {
  const group = (name: string) => ({
    name,
    versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
    preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('admissionregistration.k8s.io'), group('discovery.k8s.io')] };
}

export function admissionRegistrationV1Resources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'admissionregistration.k8s.io/v1',
    resources: [
      { name: 'mutatingwebhookconfigurations', singularName: 'mutatingwebhookconfiguration', namespaced: false, kind: 'MutatingWebhookConfiguration', verbs: ['get', 'list'] },
      { name: 'validatingwebhookconfigurations', singularName: 'validatingwebhookconfiguration', namespaced: false, kind: 'ValidatingWebhookConfiguration', verbs: ['get', 'list'] },
    ],
  };
}

export function discoveryV1Resources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'discovery.k8s.io/v1',
    resources: [{ name: 'endpointslices', singularName: 'endpointslice', namespaced: true, kind: 'EndpointSlice', verbs: ['get', 'list'] }],
  };
}

export function coreV1Resources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'nodes',
        singularName: 'node',
        namespaced: false,
        kind: 'Node',
        verbs: ['get', 'list'],
        shortNames: ['no'],
      },
      {
        name: 'configmaps',
        singularName: 'configmap',
        namespaced: true,
        kind: 'ConfigMap',
        verbs: ['get', 'list'],
        shortNames: ['cm'],
      },
    ],
  };
}
