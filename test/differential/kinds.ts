/**
 * The kinds the differential operations are sent about, and a CustomResourceDefinition of the suite's
 * own (its group carries the run's namespace, `{ns}`, so concurrent runs on one control plane do not
 * collide; the harness masks it).
 */
import type { Op } from './harness.js';

/** A kind of object and a valid body of it. */
export interface Kind {
  /** Short key used in operation ids. */
  key: string;
  /** Collection path, `{ns}` for the namespace. */
  base: string;
  apiVersion: string;
  kind: string;
  /** A body (without metadata) of a valid object. */
  sample: Record<string, unknown>;
  /** Body paths compared on success besides the metadata. */
  paths: string[];
  /** Whether the kind is a custom resource (strategic merge answers 415). */
  custom?: boolean;
}

/** The custom resource group of a run. */
export const CR_GROUP = '{ns}.diff.dev';

/** A namespaced CRD with a status and scale subresource, selectable fields, defaults, an enum and a preserve-unknown-fields map. */
export function widgetCrd(): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `widgets.${CR_GROUP}` },
    spec: {
      group: CR_GROUP,
      scope: 'Namespaced',
      names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList', shortNames: ['wdg'], categories: ['diff'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
          selectableFields: [{ jsonPath: '.status.phase' }, { jsonPath: '.spec.size' }],
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'string', enum: ['small', 'large'] },
                    replicas: { type: 'integer', minimum: 0, default: 1 },
                    mode: { type: 'string', default: 'auto' },
                    note: { type: 'string', maxLength: 5 },
                    tags: { type: 'array', items: { type: 'string' } },
                    free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    labels: { type: 'object', additionalProperties: { type: 'string' } },
                  },
                },
                status: { type: 'object', properties: { phase: { type: 'string' }, replicas: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };
}

/** Create the CRD, then poll until its resource is served (the real server establishes it asynchronously). */
export function crdSetup(prefix: string): Op[] {
  return [
    { id: `${prefix}/create-crd`, method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: widgetCrd(), pick: ['metadata.name', 'spec.names'] },
    { id: `${prefix}/crd-served`, method: 'GET', path: `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`, until: { code: 200, ms: 20_000 }, pick: ['kind', 'items'] },
  ];
}

/** Delete the CRD again. */
export function crdTeardown(prefix: string): Op[] {
  return [{ id: `${prefix}/delete-crd`, method: 'DELETE', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.${CR_GROUP}`, pick: ['metadata.name'] }];
}

export const KINDS: Kind[] = [
  { key: 'configmap', base: '/api/v1/namespaces/{ns}/configmaps', apiVersion: 'v1', kind: 'ConfigMap', sample: { data: { a: '1' } }, paths: ['data'] },
  { key: 'secret', base: '/api/v1/namespaces/{ns}/secrets', apiVersion: 'v1', kind: 'Secret', sample: { type: 'Opaque', stringData: { a: 'x' } }, paths: ['data', 'type', 'stringData'] },
  { key: 'serviceaccount', base: '/api/v1/namespaces/{ns}/serviceaccounts', apiVersion: 'v1', kind: 'ServiceAccount', sample: {}, paths: ['secrets'] },
  {
    key: 'role',
    base: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    sample: { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] },
    paths: ['rules'],
  },
  {
    key: 'lease',
    base: '/apis/coordination.k8s.io/v1/namespaces/{ns}/leases',
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    sample: { spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } },
    paths: ['spec'],
  },
  {
    key: 'widget',
    base: `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`,
    apiVersion: `${CR_GROUP}/v1`,
    kind: 'Widget',
    sample: { spec: { size: 'small' } },
    paths: ['spec', 'status'],
    custom: true,
  },
];

/** The metadata paths compared for every object answer. */
export const META = ['kind', 'apiVersion', 'metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', 'metadata.finalizers', 'metadata.generation'];

/** A body of kind `k` named `name`, with extra metadata. */
export function obj(k: Kind, name: string, meta: Record<string, unknown> = {}, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: k.apiVersion, kind: k.kind, metadata: { name, ...meta }, ...structuredClone(k.sample), ...over };
}
