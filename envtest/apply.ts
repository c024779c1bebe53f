/**
 * `kubectl apply` for the test control plane, through client-node's `KubernetesObjectApi` (which finds
 * each kind's resource through discovery): by default server-side apply (field manager `envtest`,
 * `force`), which refuses a field the schema does not declare; `mode: 'create'` POSTs (then merge-patches
 * an existing object), so the API server prunes undeclared fields as it does for `kubectl create`. CRDs are waited for until `Established` before the
 * next document, as `kubectl apply` users wait (`kubectl wait --for condition=established`).
 */
import { ApiextensionsV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, loadYaml, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';

/** Parse a YAML stream into objects (`kind: List` items flattened; empty documents skipped). */
export function parseManifests(text: string): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as (KubernetesObject & { items?: KubernetesObject[] }) | null;
    if (!o) continue;
    if (o.kind === 'List' || o.kind?.endsWith('List')) out.push(...(o.items ?? []));
    else out.push(o);
  }
  return out;
}

/**
 * Apply objects (or a YAML stream) server-side, in order, waiting for each CRD to be Established.
 * @throws the API server's error (client-node `ApiException`) for the first object it refuses.
 */
export async function applyAll(kc: KubeConfig, objects: KubernetesObject[] | string, opts: { timeoutMs?: number; mode?: 'server-side' | 'create' } = {}): Promise<KubernetesObject[]> {
  const list = typeof objects === 'string' ? parseManifests(objects) : objects;
  const api = KubernetesObjectApi.makeApiClient(kc);
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const applied: KubernetesObject[] = [];
  for (const obj of list) {
    // KubernetesObjectApi serializes a known kind through client-node's typed model, whose attribute names
    // differ from the wire names for some fields (`x-kubernetes-preserve-unknown-fields` is
    // `xKubernetesPreserveUnknownFields`): a plain object (from YAML or JSON) would lose them silently, and
    // the real server would then prune what they keep. loadYaml deserializes into the model first.
    const body = loadYaml<KubernetesObject>(JSON.stringify(obj));
    if (opts.mode === 'create') {
      applied.push(
        await api.create(body).catch((err: { code?: number }) => {
          if (err.code !== 409) throw err;
          return api.patch(body, undefined, undefined, 'envtest', undefined, PatchStrategy.MergePatch);
        }),
      );
    } else {
      applied.push(await api.patch(body, undefined, undefined, 'envtest', true, PatchStrategy.ServerSideApply));
    }
    if (body.kind === 'CustomResourceDefinition') await served(kc, ext, body.metadata!.name!, opts.timeoutMs ?? 30_000);
  }
  return applied;
}

/**
 * Wait until CRD `name` is Established and its resource answers a list: a real kube-apiserver answers
 * 429 `storage is (re)initializing` (Retry-After 1) to the first requests on a CRD whose watch cache is
 * still being built, after the CRD is Established. controller-runtime's envtest waits the same way
 * (`WaitForCRDs` polls discovery) before handing the server to a test. @throws Error after `timeoutMs`.
 */
export async function served(kc: KubeConfig, ext: ApiextensionsV1Api, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await established(ext, name, timeoutMs);
  const crd = await ext.readCustomResourceDefinition({ name });
  const version = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0].name;
  const custom = kc.makeApiClient(CustomObjectsApi);
  for (;;) {
    try {
      await custom.listClusterCustomObject({ group: crd.spec.group, version, plural: crd.spec.names.plural, limit: 1 });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 429 || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Wait until CRD `name` has condition Established=True. @throws Error after `timeoutMs`. */
export async function established(ext: ApiextensionsV1Api, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await ext.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
