/**
 * The Helm chart deploy/helm/dbupdate, rendered by the real helm (v3.17, from scripts/install-tools.sh)
 * with its default values and with non-default ones: `helm lint --strict`; every object of a known
 * apiVersion/kind and valid against the Kubernetes schema (client-node's generated models, strict);
 * the values land where they should (policy in the ConfigMap, tokens only by reference to an existing
 * Secret); the same security context and probes as deploy/deployment.yaml; RBAC granting exactly what
 * deploy/rbac.yaml grants, and enforced by the emulator in the per-namespace variant; alert rules over
 * series the bot exports; and `kubectl apply -f -` of the output against the Kubernetes emulator.
 * helm and kubectl must be installed (.tools/bin or PATH): the suite fails, not skips, without them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ADMIN_USER, KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { applyManifests } from '../sim/kube/apply.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';
import { kubedbCrds } from '../sim/kubedb/crds.js';
import { validateConfig } from '../src/policy/config.js';
import { findPlaceholders } from '../src/startup/placeholders.js';
import { modelFor, validate } from './support/k8s-schema.js';
import { checkExpr, exportedSeries } from './support/metric-names.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHART = join(ROOT, 'deploy/helm/dbupdate');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

function findTool(name: string): string {
  for (const dir of [join(ROOT, '.tools/bin'), ...(process.env.PATH ?? '').split(delimiter)]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`${name} not found in .tools/bin nor on PATH: run scripts/install-tools.sh`);
}

let dir: string;
function run(cmd: string, args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, HOME: dir, KUBECONFIG: '', HELM_CACHE_HOME: join(dir, 'helm') }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(stdin);
  });
}
/** The least an install must set: its own approvers (the defaults are placeholders, which the chart refuses). */
const MINIMAL = { config: { approvers: ['U07ALICE01'] } };

/** Non-default values: every switch flipped. */
const CUSTOM = {
  replicas: 3,
  fullnameOverride: 'dbu',
  image: { repository: 'registry.internal/platform/dbupdate', tag: '9.9.9' },
  slack: { existingSecret: 'slack-creds', mode: 'http', httpPort: 3100, apiUrl: 'https://slack.internal/api/' },
  config: { clusterName: 'prod-us', approvers: ['U07ALICE01'], approvalsRequired: 1, channelNamespaces: { C07DBOPS01: 'demo' } },
  resources: { requests: { cpu: '100m', memory: '160Mi' }, limits: { cpu: '2', memory: '320Mi' } },
  rbac: { scope: 'namespaces', namespaces: ['demo', 'billing'], readSecrets: true },
  serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
  networkPolicy: { enabled: true, metricsNamespaces: ['monitoring'] },
  podDisruptionBudget: { enabled: true, minAvailable: 2 },
  // OpenShift's restricted SCC: no pinned IDs (null deletes a default key: Helm merges maps into the defaults).
  podSecurityContext: { runAsUser: null, runAsGroup: null, fsGroup: null },
  securityContext: { runAsUser: null, runAsGroup: null },
  livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 20 },
  readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 7 },
  extraEnv: [{ name: 'HTTPS_PROXY', value: 'http://proxy.internal:3128' }, { name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ssl/corp/ca.crt' }],
  extraVolumes: [{ name: 'corp-ca', configMap: { name: 'corp-ca' } }],
  extraVolumeMounts: [{ name: 'corp-ca', mountPath: '/etc/ssl/corp', readOnly: true }],
  priorityClassName: 'platform-critical',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
  affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }] } } },
};

let helm: string;
let kubectl: string;
let defaults: string;
let custom: string;
const objects = (yaml: string): Obj[] => parseAllDocuments(yaml).map((d) => d.toJS() as Obj).filter(Boolean);
/** Kinds the Kubernetes emulator does not serve (sim/kube): the Prometheus Operator's, NetworkPolicy. */
const notEmulated = (o: Obj) => o.apiVersion.startsWith('monitoring.coreos.com/') || o.kind === 'NetworkPolicy';
const namespaces = (names: string[]) => names.map((n) => stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })).join('---\n');
/** As `helm install -n <ns>` creates them: namespaced objects without a namespace get the release's. */
const asInstalled = (objs: Obj[], ns: string) =>
  objs.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: o.metadata.namespace ?? (['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(o.kind) ? undefined : ns) } }));
const find = (objs: Obj[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (!name || o.metadata.name === name));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'helm-chart-'));
  helm = findTool('helm');
  kubectl = findTool('kubectl');
  writeFileSync(join(dir, 'custom.yaml'), stringify(CUSTOM));
  writeFileSync(join(dir, 'minimal.yaml'), stringify(MINIMAL));
  const [d, c] = await Promise.all([
    run(helm, ['template', 'dbupdate', CHART, '--namespace', 'dbupdate', '--include-crds', '-f', join(dir, 'minimal.yaml')]),
    run(helm, ['template', 'dbupdate', CHART, '--namespace', 'ops', '--include-crds', '-f', join(dir, 'custom.yaml')]),
  ]);
  if (d.code !== 0) throw new Error(`helm template (defaults) failed: ${d.stderr}`);
  if (c.code !== 0) throw new Error(`helm template (custom values) failed: ${c.stderr}`);
  expect(d.stderr).toBe('');
  defaults = d.stdout;
  custom = c.stdout;
}, 120_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('helm lint and render', { timeout: 120_000 }, () => {
  it('helm lint --strict passes with default and custom values', async () => {
    const [d, c] = await Promise.all([run(helm, ['lint', '--strict', CHART, '-f', join(dir, 'minimal.yaml')]), run(helm, ['lint', '--strict', CHART, '-f', join(dir, 'custom.yaml')])]);
    expect(d.code, d.stdout + d.stderr).toBe(0);
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(d.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('renders the expected objects', () => {
    const kinds = (y: string) => objects(y).map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).sort();
    expect(kinds(defaults)).toEqual([
      'ClusterRole/dbupdate', 'ClusterRoleBinding/dbupdate', 'ConfigMap/dbupdate-config', 'CustomResourceDefinition/databaseupdatebatches.dbupdate.dev', 'CustomResourceDefinition/databaseupdates.dbupdate.dev',
      'Deployment/dbupdate', 'PodDisruptionBudget/dbupdate', 'Role/dbupdate', 'RoleBinding/dbupdate', 'Service/dbupdate-metrics', 'ServiceAccount/dbupdate',
    ]);
    expect(kinds(custom)).toEqual([
      'ClusterRole/dbu', 'ClusterRoleBinding/dbu', 'ConfigMap/dbu-config', 'CustomResourceDefinition/databaseupdatebatches.dbupdate.dev', 'CustomResourceDefinition/databaseupdates.dbupdate.dev', 'Deployment/dbu',
      'NetworkPolicy/dbu', 'PodDisruptionBudget/dbu', 'PrometheusRule/dbu', 'Role/billing/dbu-databases', 'Role/dbu', 'Role/demo/dbu-databases',
      'RoleBinding/billing/dbu-databases', 'RoleBinding/dbu', 'RoleBinding/demo/dbu-databases', 'Service/dbu-metrics', 'Service/dbu-slack', 'ServiceAccount/dbu', 'ServiceMonitor/dbu',
    ]);
  });

  it('every object has a known apiVersion/kind and is valid against the Kubernetes schema', () => {
    const monitoring = new Set(['monitoring.coreos.com/v1 ServiceMonitor', 'monitoring.coreos.com/v1 PrometheusRule']);
    for (const o of [...objects(defaults), ...objects(custom)]) {
      if (monitoring.has(`${o.apiVersion} ${o.kind}`)) continue; // not Kubernetes types: checked below
      const model = modelFor(o.apiVersion, o.kind);
      expect(model, `${o.apiVersion} ${o.kind}`).toBeDefined();
      expect(validate(o, model!), `${o.kind}/${o.metadata.name}`).toEqual([]);
    }
    // The validator does catch a wrong field and a wrong type.
    const d = find(objects(defaults), 'Deployment')[0] as Obj & { spec: { replicas: unknown; template: { spec: { containers: Record<string, unknown>[] } } } };
    d.spec.replicas = '2';
    d.spec.template.spec.containers[0].imagePullPolcy = 'Always';
    expect(validate(d, 'V1Deployment')).toEqual(['$.spec.replicas: must be a number, got "2"', '$.spec.template.spec.containers[0].imagePullPolcy: unknown field (not in V1Container)']);
  });

  it('an unknown slack.mode or an empty namespace list is refused by helm with the reason', async () => {
    const bad = await run(helm, ['template', 'x', CHART, '--set', 'slack.mode=rtm']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/slack\.mode: slack\.mode must be one of the following: "socket", "http"/);
    const noNs = await run(helm, ['template', 'x', CHART, '-f', join(dir, 'minimal.yaml'), '--set', 'rbac.scope=namespaces']);
    expect(noNs.code).not.toBe(0);
    expect(noNs.stderr).toMatch(/rbac\.scope=namespaces needs rbac\.namespaces/);
  });
});

describe('values', () => {
  const deployment = (y: string) => find(objects(y), 'Deployment')[0] as Obj & { spec: { replicas: number; template: { metadata: { annotations: Record<string, string> }; spec: { containers: { image: string; env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }[]; resources: unknown; livenessProbe: unknown; readinessProbe: unknown; securityContext: unknown; ports: unknown[] }[]; securityContext: unknown } } } };
  const configOf = (y: string) => parse((find(objects(y), 'ConfigMap')[0] as Obj & { data: { 'config.yaml': string } }).data['config.yaml']) as Record<string, unknown>;

  it('the policy goes into the ConfigMap, valid, with recordsNamespace = the release namespace', () => {
    const d = configOf(defaults);
    expect(validateConfig(d).recordsNamespace).toBe('dbupdate');
    // The chart refuses the defaults' placeholders (test/helm-values.test.ts), so every render has real IDs.
    expect(findPlaceholders(d)).toEqual([]);
    const c = configOf(custom);
    expect(validateConfig(c)).toMatchObject({ clusterName: 'prod-us', recordsNamespace: 'ops', approvers: ['U07ALICE01'] });
    expect(findPlaceholders(c)).toEqual([]);
    // A policy change changes the pod template (a rollout).
    expect(deployment(defaults).spec.template.metadata.annotations['checksum/config']).not.toBe(deployment(custom).spec.template.metadata.annotations['checksum/config']);
  });

  it('tokens only by reference to the existing Secret; no Secret object, no token in the output', () => {
    for (const y of [defaults, custom]) {
      expect(find(objects(y), 'Secret')).toEqual([]);
      expect(y).not.toMatch(/xox[bp]-|xapp-/);
    }
    const env = (y: string) => Object.fromEntries(deployment(y).spec.template.spec.containers[0].env.map((e) => [e.name, e.valueFrom?.secretKeyRef ?? e.value]));
    expect(env(defaults)).toMatchObject({ SLACK_BOT_TOKEN: { name: 'dbupdate-slack', key: 'SLACK_BOT_TOKEN' }, SLACK_APP_TOKEN: { name: 'dbupdate-slack', key: 'SLACK_APP_TOKEN' }, DBUPDATE_CONFIG: '/etc/dbupdate/config.yaml' });
    expect(env(custom)).toMatchObject({ SLACK_BOT_TOKEN: { name: 'slack-creds', key: 'SLACK_BOT_TOKEN' }, SLACK_SIGNING_SECRET: { name: 'slack-creds', key: 'SLACK_SIGNING_SECRET' }, SLACK_HTTP_PORT: '3100', SLACK_API_URL: 'https://slack.internal/api/' });
    expect(env(custom)).not.toHaveProperty('SLACK_APP_TOKEN');
  });

  it('replicas, image and resources', () => {
    expect(deployment(defaults).spec.replicas).toBe(2);
    expect(deployment(custom).spec.replicas).toBe(3);
    // The image the release workflow publishes, at the chart's appVersion.
    expect(deployment(defaults).spec.template.spec.containers[0].image).toBe('ghcr.io/dbupdate-dev/dbupdate:0.1.0');
    expect(deployment(custom).spec.template.spec.containers[0].image).toBe('registry.internal/platform/dbupdate:9.9.9');
    expect(deployment(custom).spec.template.spec.containers[0].resources).toEqual(CUSTOM.resources);
  });

  it('by default, the same pod and container security context and probes as deploy/deployment.yaml', () => {
    const kustomize = parse(readFileSync(join(ROOT, 'deploy/deployment.yaml'), 'utf8')) as ReturnType<typeof deployment>;
    const k = kustomize.spec.template.spec;
    for (const y of [defaults]) {
      const h = deployment(y).spec.template.spec;
      expect(h.securityContext).toEqual(k.securityContext);
      const [hc, kc] = [h.containers[0], k.containers[0]];
      expect({ l: hc.livenessProbe, r: hc.readinessProbe, s: hc.securityContext }).toEqual({ l: kc.livenessProbe, r: kc.readinessProbe, s: kc.securityContext });
    }
    expect(deployment(defaults).spec.template.spec.containers[0].resources).toEqual(k.containers[0].resources);
  });

  it('security contexts, probes, extra env and volumes, scheduling from values', () => {
    type PodSpec = ReturnType<typeof deployment>['spec']['template']['spec'] & Record<string, unknown>;
    const h = deployment(custom).spec.template.spec as PodSpec;
    const c = h.containers[0] as (typeof h.containers)[0] & { volumeMounts: unknown[] };
    expect(h.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
    expect({ l: c.livenessProbe, r: c.readinessProbe }).toEqual({ l: { ...CUSTOM.livenessProbe, initialDelaySeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }, r: { ...CUSTOM.readinessProbe, initialDelaySeconds: 3, timeoutSeconds: 3, failureThreshold: 3 } });
    expect(c.env.slice(-2)).toEqual(CUSTOM.extraEnv);
    expect((h.volumes as unknown[]).slice(-1)).toEqual(CUSTOM.extraVolumes);
    expect(c.volumeMounts.slice(-1)).toEqual(CUSTOM.extraVolumeMounts);
    expect({ p: h.priorityClassName, n: h.nodeSelector, t: h.tolerations, a: h.affinity }).toEqual({ p: CUSTOM.priorityClassName, n: CUSTOM.nodeSelector, t: CUSTOM.tolerations, a: CUSTOM.affinity });
    const d = deployment(defaults).spec.template.spec as PodSpec;
    expect([d.priorityClassName, d.nodeSelector, d.tolerations, d.affinity]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

/** Every (apiGroup, resource, verb) a set of RBAC objects grants, as sorted strings. */
function grants(objs: Obj[]): string[] {
  const out = new Set<string>();
  for (const o of objs.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
    for (const r of (o as Obj & { rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[] }).rules) {
      for (const g of r.apiGroups) for (const res of r.resources) for (const v of r.verbs) out.add(`${g}/${res} ${v}`);
    }
  }
  return [...out].sort();
}

describe('RBAC', { timeout: 120_000 }, () => {
  const kustomize = () => objects(readFileSync(join(ROOT, 'deploy/rbac.yaml'), 'utf8'));

  it('grants exactly what deploy/rbac.yaml grants, in both scopes; Secrets only with rbac.readSecrets', () => {
    const SECRETS = '/secrets get';
    const without = (g: string[]) => g.filter((x) => x !== SECRETS);
    const expected = without(grants(kustomize()));
    expect(expected.length).toBeGreaterThan(30);
    expect(grants(objects(defaults))).toEqual(expected);
    expect(grants(objects(custom))).toEqual([...expected, SECRETS].sort());
    // Cluster scope: the same Role and ClusterRole grants as deploy/rbac.yaml.
    expect(grants(find(objects(defaults), 'Role'))).toEqual(grants(find(kustomize(), 'Role')));
    expect(grants(find(objects(defaults), 'ClusterRole'))).toEqual(without(grants(find(kustomize(), 'ClusterRole'))));
  });

  it('namespace scope: the writes are granted in the listed namespaces only (enforced by the emulator)', async () => {
    const clusterWide = grants(find(objects(custom), 'ClusterRole'));
    expect(clusterWide.filter((g) => !/ (list|watch)$/.test(g))).toEqual([]);
    const store = new Store();
    for (const crd of kubedbCrds()) store.create({ group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' }, crd);
    for (const ns of ['ops', 'demo', 'billing', 'other']) store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const rendered = asInstalled(objects(custom).filter((o) => !notEmulated(o)), 'ops');
    applyManifests(store, rendered.map((o) => stringify(o)).join('---\n'));
    const MYSQL = { group: 'kubedb.com', version: 'v1', plural: 'mysqls' };
    for (const ns of ['demo', 'other']) store.create(MYSQL, { apiVersion: 'kubedb.com/v1', kind: 'MySQL', metadata: { name: 'orders', namespace: ns }, spec: { version: '8.0.35' } });
    const server = await KubeApiServer.start({ store, rbac: true, users: { 'sa-token': serviceAccountUser('ops', 'dbu') } });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(server.kubeconfigYaml({ token: 'sa-token' }));
      const custom = kc.makeApiClient(CustomObjectsApi);
      expect(((await custom.getNamespacedCustomObject({ ...MYSQL, namespace: 'demo', name: 'orders' })) as { spec: { version: string } }).spec.version).toBe('8.0.35');
      await custom.listClusterCustomObject({ group: 'catalog.kubedb.com', version: 'v1alpha1', plural: 'mysqlversions' });
      await custom.listNamespacedCustomObject({ group: 'dbupdate.dev', version: 'v1alpha1', plural: 'databaseupdates', namespace: 'ops' });
      const denied = await custom.getNamespacedCustomObject({ ...MYSQL, namespace: 'other', name: 'orders' }).then(() => 'allowed', (e: { code: number }) => e.code);
      expect(denied).toBe(403);
      expect(server.denials.map((d) => `${d.verb} ${d.apiGroup}/${d.resource} ${d.namespace}`)).toEqual(['get kubedb.com/mysqls other']);
    } finally {
      await server.stop();
    }
  });
});

describe('monitoring objects', () => {
  it('the ServiceMonitor selects the metrics Service and its port', () => {
    const objs = objects(custom);
    const sm = find(objs, 'ServiceMonitor')[0] as Obj & { spec: { selector: { matchLabels: Record<string, string> }; namespaceSelector: { matchNames: string[] }; endpoints: { port: string; path: string }[] } };
    const svc = find(objs, 'Service', 'dbu-metrics')[0] as Obj & { spec: { ports: { name: string }[] } };
    expect(sm.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(svc.metadata.labels?.[k]).toBe(v);
    expect(sm.spec.namespaceSelector.matchNames).toEqual(['ops']);
    expect(svc.spec.ports.map((p) => p.name)).toContain(sm.spec.endpoints[0].port);
    expect(sm.spec.endpoints[0].path).toBe('/metrics');
  });

  it('every alert of the PrometheusRule is over series and labels the bot exports', async () => {
    const series = await exportedSeries();
    const rule = find(objects(custom), 'PrometheusRule')[0] as Obj & { spec: { groups: { rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[] } };
    const rules = rule.spec.groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['DbupdateUpdateFailed', 'DbupdateNoLeader', 'DbupdateAbsent', 'DbupdateStepSlow', 'DbupdateKubeApiErrors', 'DbupdateSlackApiErrors']);
    for (const r of rules) {
      expect(checkExpr(r.expr, series), r.alert).toEqual([]);
      expect(['warning', 'critical']).toContain(r.labels.severity);
      expect(r.annotations.summary.length).toBeGreaterThan(10);
    }
    // The slow-step bound must be a bucket bound of the histogram, or the query matches nothing.
    const { STEP_BUCKETS_SECONDS } = await import('../src/metrics.js');
    expect(rules.find((r) => r.alert === 'DbupdateStepSlow')!.expr).toContain(`le="${STEP_BUCKETS_SECONDS.find((b) => b === 1800)}"`);
    expect(checkExpr('sum by (engine) (dbupdate_leader)', series)).toEqual(['sum by (engine) (dbupdate_leader): label engine is not a label of dbupdate_leader']);
  });
});

describe('kubectl apply -f - of the chart against the emulator', { timeout: 180_000 }, () => {
  let server: KubeApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    server = await KubeApiServer.start({ store: new Store(), rbac: true, unauthenticatedUser: ADMIN_USER });
    kubeconfig = join(dir, 'kubeconfig');
    server.writeKubeconfig(kubeconfig);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const k = (args: string[], stdin?: string) => run(kubectl, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], stdin);

  it('creates every object of the default render (as helm install -n dbupdate would), and re-applying changes nothing', async () => {
    expect((await k(['apply', '-f', '-'], namespaces(['dbupdate']))).code).toBe(0);
    const applied = await k(['apply', '-n', 'dbupdate', '-f', '-'], defaults);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(applied.stdout.trim().split('\n').sort()).toEqual([
      'clusterrole.rbac.authorization.k8s.io/dbupdate created',
      'clusterrolebinding.rbac.authorization.k8s.io/dbupdate created',
      'configmap/dbupdate-config created',
      'customresourcedefinition.apiextensions.k8s.io/databaseupdatebatches.dbupdate.dev created',
      'customresourcedefinition.apiextensions.k8s.io/databaseupdates.dbupdate.dev created',
      'deployment.apps/dbupdate created',
      'poddisruptionbudget.policy/dbupdate created',
      'role.rbac.authorization.k8s.io/dbupdate created',
      'rolebinding.rbac.authorization.k8s.io/dbupdate created',
      'service/dbupdate-metrics created',
      'serviceaccount/dbupdate created',
    ]);
    const got = await k(['get', 'deployment', 'dbupdate', '-n', 'dbupdate', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.serviceAccountName}']);
    expect(got.stdout).toBe('2 dbupdate');
    // Re-applying writes nothing (kubectl prints the PDB "configured": see test/deploy-apply.test.ts).
    const rv = server.store.currentResourceVersion();
    const again = await k(['apply', '-n', 'dbupdate', '-f', '-'], defaults);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim().split('\n').filter((l) => !l.endsWith(' unchanged'))).toEqual(['poddisruptionbudget.policy/dbupdate configured']);
    expect(server.store.currentResourceVersion()).toBe(rv);
  });

  it('creates the custom render in its namespaces (ServiceMonitor, PrometheusRule and NetworkPolicy aside: the emulator does not serve them)', async () => {
    expect((await k(['apply', '-f', '-'], namespaces(['ops', 'demo', 'billing']))).code).toBe(0);
    const docs = asInstalled(objects(custom).filter((o) => !notEmulated(o) && o.kind !== 'CustomResourceDefinition'), 'ops');
    const applied = await k(['apply', '-f', '-'], docs.map((o) => stringify(o)).join('---\n'));
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const lines = applied.stdout.trim().split('\n');
    expect(lines).toHaveLength(docs.length);
    expect(lines.every((l) => l.endsWith(' created'))).toBe(true);
    const roles = await k(['get', 'roles', '-A', '-o', 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {end}']);
    expect(roles.stdout.trim().split(' ').sort()).toEqual(['billing/dbu-databases', 'dbupdate/dbupdate', 'demo/dbu-databases', 'ops/dbu']);
  });
});
