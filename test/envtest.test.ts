/**
 * The real control plane under the suite (envtest/, issue #18 items 1–2): the shared kube-apiserver is
 * the version the wrapper module pins, authenticates the admin and the bot's identity, enforces RBAC,
 * mints service-account tokens by TokenRequest, and kube-controller-manager's namespace, garbage-collector
 * and statefulset controllers run. Each test works in namespaces of its own.
 */
import { readFileSync } from 'node:fs';
import { AppsV1Api, AuthenticationV1Api, CoreV1Api, RbacAuthorizationV1Api, VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { BOT_USER, REPO_ROOT } from '../envtest/control-plane.js';
import { auditRequests, freshNamespace, sharedControlPlane } from '../envtest/shared.js';

const plane = sharedControlPlane();
const admin = plane.kubeConfig();
const core = admin.makeApiClient(CoreV1Api);

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('envtest: the real control plane', () => {
  it('is the kube-apiserver the wrapper module pins (tools/controlplane/go.mod)', async () => {
    const pinned = /k8s\.io\/kubernetes (v[\d.]+)/.exec(readFileSync(`${REPO_ROOT}/tools/controlplane/go.mod`, 'utf8'))![1];
    const v = await admin.makeApiClient(VersionApi).getCode();
    expect(v.gitVersion).toBe(pinned);
    expect(Object.values(plane.pids).every((pid) => pid > 0)).toBe(true);
  });

  it('authenticates the bot as its service account and enforces RBAC on it', async () => {
    const bot = plane.kubeConfig(plane.tokens.bot);
    const who = await bot.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(who.status?.userInfo?.username).toBe(BOT_USER);
    const err = await bot.makeApiClient(CoreV1Api).listNamespace().catch((e: { code?: number }) => e);
    expect((err as { code?: number }).code).toBe(403);
  });

  it('mints a service-account token by TokenRequest that authenticates as that account', async () => {
    const ns = await freshNamespace(admin, 'envtest-sa');
    const token = await plane.serviceAccountToken(ns, 'robot');
    const who = await plane.kubeConfig(token).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    expect(who.status?.userInfo?.username).toBe(`system:serviceaccount:${ns}:robot`);
    // Granted by RBAC, it may read pods of its namespace, and only there.
    const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'read-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name: 'read-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-pods' }, subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: ns }] } });
    const robot = plane.kubeConfig(token).makeApiClient(CoreV1Api);
    const pods = await poll('RBAC grant seen', () => robot.listNamespacedPod({ namespace: ns }).catch(() => undefined));
    expect(pods.items).toEqual([]);
    expect(((await robot.listNamespacedPod({ namespace: 'default' }).catch((e) => e)) as { code?: number }).code).toBe(403);
  });

  it("runs kube-controller-manager's statefulset, garbage-collector and namespace controllers", async () => {
    const ns = await freshNamespace(admin, 'envtest-kcm');
    const apps = admin.makeApiClient(AppsV1Api);
    await apps.createNamespacedStatefulSet({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 2, serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'example/web:1' }] } } },
      },
    });
    // The statefulset controller creates web-0 (OrderedReady waits for it to be Ready before web-1).
    const pod = await poll('web-0 created', () => core.readNamespacedPod({ namespace: ns, name: 'web-0' }).catch(() => undefined));
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe('StatefulSet');
    // The garbage collector deletes the pod with its owner.
    await apps.deleteNamespacedStatefulSet({ namespace: ns, name: 'web' });
    await poll('web-0 garbage-collected or terminating', async () => {
      const p = await core.readNamespacedPod({ namespace: ns, name: 'web-0' }).catch(() => null);
      return p === null || p.metadata?.deletionTimestamp ? true : undefined;
    });
    // The namespace controller empties and removes a deleted namespace (pods without a node go at once).
    await core.deleteNamespace({ name: ns });
    const phase = await poll('namespace gone', async () => {
      const n = await core.readNamespace({ name: ns }).catch(() => null);
      return n === null ? 'gone' : undefined;
    }, 45_000);
    expect(phase).toBe('gone');
  });

  it('writes an audit log the request counts can be read from', async () => {
    const before = auditRequests(plane, BOT_USER).lines;
    const bot = plane.kubeConfig(plane.tokens.bot);
    await bot.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    const after = await poll('audit line written', async () => {
      const a = auditRequests(plane, BOT_USER, before);
      return a.count > 0 ? a : undefined;
    });
    expect(after.verbs['create selfsubjectreviews']).toBe(1);
  });
});
