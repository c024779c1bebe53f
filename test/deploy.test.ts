/**
 * The kustomize install in `deploy/`, rendered by the real `kubectl kustomize deploy/` and checked object by
 * object: kinds, the Deployment's hardening and probes, the generated configuration (valid for the bot), and
 * RBAC against a table of the Kubernetes API calls the code makes. Also light checks of the Dockerfile.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { ENGINES, CATALOG_GROUP, OPS_GROUP, PETSET_GROUP, PETSET_PLURAL } from '../src/engines/table.js';
import { RECORD_GROUP, RECORD_PLURAL } from '../src/api/v1alpha1/databaseupdate.js';
import { LEASE_NAME } from '../src/bot.js';
import { validateConfig } from '../src/policy/config.js';
import { imageNodeFlags } from '../bench/scale.js';

const ROOT = join(import.meta.dirname, '..');
const NAMESPACE = 'dbupdate';
const SA = 'dbupdate';

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };
interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** The kubectl binary: `$KUBECTL`, `/usr/bin/kubectl`, or `kubectl` on PATH. */
function kubectl(): string {
  if (process.env.KUBECTL) return process.env.KUBECTL;
  if (existsSync('/usr/bin/kubectl')) return '/usr/bin/kubectl';
  return 'kubectl';
}

function render(): Obj[] {
  let out: string;
  try {
    out = execFileSync(kubectl(), ['kustomize', join(ROOT, 'deploy')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('kubectl not found: this test runs the real `kubectl kustomize deploy/`. Install kubectl (or set KUBECTL=/path/to/kubectl).');
    }
    throw new Error(`kubectl kustomize deploy/ failed: ${e.stderr ?? e.message}`);
  }
  const docs = parseAllDocuments(out);
  for (const d of docs) if (d.errors.length) throw new Error(`kustomize output is not valid YAML: ${d.errors[0].message}`);
  return docs.map((d) => d.toJSON() as Obj).filter(Boolean);
}

/**
 * The Kubernetes API calls the bot makes, (group, resource, verb[, name]), and where. `namespaced: true`
 * calls are made only in the bot's own namespace (`recordsNamespace`); the others in any namespace or on
 * cluster-scoped objects. Mirrors src/kube/{records,lease,kubedb,events}.ts and src/updates/reconciler.ts.
 */
interface Call {
  group: string;
  resource: string;
  verb: string;
  name?: string;
  namespaced: boolean;
  where: string;
}
const CALLS: Call[] = [
  ...['create', 'get', 'list'].map((verb) => ({ group: RECORD_GROUP, resource: RECORD_PLURAL, verb, namespaced: true, where: 'updates/records.ts' })),
  { group: RECORD_GROUP, resource: RECORD_PLURAL, verb: 'watch', namespaced: true, where: 'updates/reconciler.ts informer' },
  { group: RECORD_GROUP, resource: `${RECORD_PLURAL}/status`, verb: 'patch', namespaced: true, where: 'updates/records.ts mutateStatus (patch…Status, merge patch)' },
  ...['create', 'get', 'list', 'watch'].map((verb) => ({ group: RECORD_GROUP, resource: 'databaseupdatebatches', verb, namespaced: true, where: 'updates/batch-records.ts, updates/batch-informer.ts (fleet requests)' })),
  { group: RECORD_GROUP, resource: 'databaseupdatebatches/status', verb: 'patch', namespaced: true, where: 'updates/batch-records.ts mutateStatus (merge patch)' },
  { group: RECORD_GROUP, resource: 'databaseupdatebatches', verb: 'delete', namespaced: true, where: 'updates/batch-retention.ts (finished batches past recordRetention)' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespaced: true, where: 'kube/lease.ts' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'get', name: LEASE_NAME, namespaced: true, where: 'kube/lease.ts readNamespacedLease' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'update', name: LEASE_NAME, namespaced: true, where: 'kube/lease.ts replaceNamespacedLease' },
  { group: '', resource: 'events', verb: 'create', namespaced: false, where: 'kube/events.ts createNamespacedEvent (database namespace)' },
  { group: RECORD_GROUP, resource: RECORD_PLURAL, verb: 'delete', namespaced: true, where: 'updates/retention.ts (finished records past recordRetention)' },
  { group: 'coordination.k8s.io', resource: 'leases', verb: 'delete', namespaced: true, where: 'updates/retention.ts (a finished record\'s lock)' },
  ...ENGINES.flatMap((e) => [
    { group: e.group, resource: e.plural, verb: 'get', namespaced: false, where: 'kube/kubedb.ts getDatabase' },
    { group: CATALOG_GROUP, resource: e.catalogPlural, verb: 'list', namespaced: false, where: 'kube/kubedb.ts listCatalog' },
    ...['create', 'get', 'list'].map((verb) => ({ group: OPS_GROUP, resource: e.opsRequestPlural, verb, namespaced: false, where: 'kube/kubedb.ts' })),
    { group: OPS_GROUP, resource: e.opsRequestPlural, verb: 'watch', namespaced: false, where: 'updates/reconciler.ts OpsRequest informer' },
    { group: OPS_GROUP, resource: e.opsRequestPlural, verb: 'delete', namespaced: false, where: 'updates/retention.ts (a finished record\'s OpsRequest)' },
    { group: e.group, resource: e.plural, verb: 'patch', namespaced: false, where: 'pipeline/direct-kube.ts setDatabaseVersion (merge patch)' },
    { group: e.group, resource: `${e.plural}/status`, verb: 'patch', namespaced: false, where: 'pipeline/direct-kube.ts updateConditions (Paused)' },
  ]),
  ...['get', 'patch'].map((verb) => ({ group: PETSET_GROUP, resource: PETSET_PLURAL, verb, namespaced: false, where: 'pipeline/direct-kube.ts getWorkload/patchWorkload' })),
  ...['list', 'watch'].map((verb) => ({ group: PETSET_GROUP, resource: PETSET_PLURAL, verb, namespaced: false, where: 'updates/reconciler.ts PetSet informer' })),
  { group: '', resource: 'pods', verb: 'list', namespaced: false, where: 'pipeline/direct-kube.ts listPods; updates/reconciler.ts pod informer' },
  { group: '', resource: 'pods', verb: 'watch', namespaced: false, where: 'updates/reconciler.ts pod informer' },
  { group: '', resource: 'pods', verb: 'delete', namespaced: false, where: 'pipeline/direct-kube.ts deletePod (forced rollback)' },
  { group: '', resource: 'pods/portforward', verb: 'get', namespaced: false, where: 'pipeline/coordinator.ts coordinatorCall (WebSocket GET to pg-coordinator)' },
  { group: '', resource: 'pods/portforward', verb: 'create', namespaced: false, where: 'pipeline/coordinator.ts coordinatorCall (Kubernetes ≥ 1.35 checks create on the upgrade)' },
  ...ENGINES.flatMap((e) => ['list', 'watch'].map((verb) => ({ group: e.group, resource: e.plural, verb, namespaced: false, where: 'drift/source.ts database informers' }))),
  { group: '', resource: 'configmaps', verb: 'create', namespaced: true, where: 'drift/state.ts writeReportState' },
  ...['get', 'patch'].map((verb) => ({ group: '', resource: 'configmaps', verb, name: 'dbupdate-drift-reports', namespaced: true, where: 'drift/state.ts read/writeReportState' })),
  ...['list', 'watch'].map((verb) => ({ group: 'core.kubestash.com', resource: 'backupconfigurations', verb, namespaced: false, where: 'kube/kubestash.ts BackupConfiguration informer' })),
  ...['get', 'create'].map((verb) => ({ group: 'core.kubestash.com', resource: 'backupsessions', verb, namespaced: false, where: 'kube/kubestash.ts createBackupSession/getBackupSession' })),
  { group: 'storage.kubestash.com', resource: 'snapshots', verb: 'get', namespaced: false, where: 'kube/kubestash.ts getSnapshot' },
];

/**
 * Calls the base RBAC does NOT grant: the opt-in component deploy/components/read-secrets does
 * (docs/secrets.md); preflight asks first (SelfSubjectAccessReview, which every authenticated user may
 * create through Kubernetes' default ClusterRole `system:basic-user`, so no rule of ours grants it).
 */
const OPT_IN_CALLS: Call[] = [{ group: '', resource: 'secrets', verb: 'get', namespaced: false, where: 'pipeline/coordinator.ts readCredentials (the Postgres auth Secret)' }];

/** Every (group, resource, verb) a rule grants, to compare with {@link CALLS} both ways. */
function grants(rule: Rule): string[] {
  return (rule.apiGroups ?? []).flatMap((g) => (rule.resources ?? []).flatMap((r) => rule.verbs.map((v) => `${v} ${r}.${g || 'core'}`)));
}

function covers(rule: Rule, c: Call): boolean {
  return (
    (rule.apiGroups ?? []).includes(c.group) &&
    (rule.resources ?? []).includes(c.resource) &&
    rule.verbs.includes(c.verb) &&
    (!rule.resourceNames || rule.resourceNames.length === 0 || (c.name !== undefined && rule.resourceNames.includes(c.name)))
  );
}

let objs: Obj[];
const find = (kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const one = (kind: string, name?: string): Obj => {
  const found = find(kind, name);
  expect(found, `exactly one ${kind}${name ? ` ${name}` : ''}`).toHaveLength(1);
  return found[0];
};

beforeAll(() => {
  objs = render();
});

describe('kubectl kustomize deploy/', () => {
  it('renders exactly the expected objects, all namespaced ones in dbupdate, and no Secret', () => {
    const kinds = objs.map((o) => o.kind).sort();
    expect(kinds).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'CustomResourceDefinition',
        'CustomResourceDefinition',
        'Deployment',
        'Namespace',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const clusterScoped = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding']);
    for (const o of objs) {
      if (clusterScoped.has(o.kind)) expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBeUndefined();
      else expect(o.metadata.namespace, `${o.kind} ${o.metadata.name}`).toBe(NAMESPACE);
    }
    expect(one('Namespace').metadata.name).toBe(NAMESPACE);
    expect(find('CustomResourceDefinition').map((o) => o.metadata.name).sort()).toEqual([`${RECORD_PLURAL}.${RECORD_GROUP}`, `databaseupdatebatches.${RECORD_GROUP}`].sort());
  });

  describe('Deployment', () => {
    let dep: Obj;
    let pod: any;
    let c: any;
    beforeAll(() => {
      dep = one('Deployment', 'dbupdate');
      pod = dep.spec.template.spec;
      expect(pod.containers).toHaveLength(1);
      c = pod.containers[0];
    });

    it('runs 2 replicas under the dbupdate ServiceAccount with a 15 s grace period', () => {
      expect(dep.spec.replicas).toBe(2);
      expect(pod.serviceAccountName).toBe(SA);
      expect(pod.terminationGracePeriodSeconds).toBe(15);
      expect(dep.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'dbupdate' });
      expect(dep.spec.template.metadata.labels).toMatchObject(dep.spec.selector.matchLabels);
    });

    it('is hardened: non-root 10001, read-only root, no capabilities, no escalation, seccomp RuntimeDefault', () => {
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 10001,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.securityContext.capabilities.add).toBeUndefined();
      expect(c.securityContext.privileged).not.toBe(true);
    });

    it('has CPU and memory requests and limits', () => {
      for (const k of ['requests', 'limits']) {
        expect(c.resources[k].cpu, `resources.${k}.cpu`).toBeTruthy();
        expect(c.resources[k].memory, `resources.${k}.memory`).toBeTruthy();
      }
    });

    it('probes /healthz (liveness) and /readyz (readiness) on port 8080 named http', () => {
      expect(c.ports).toContainEqual(expect.objectContaining({ name: 'http', containerPort: 8080 }));
      expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
      expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    });

    it('takes the Slack tokens from the dbupdate-slack Secret, never as literals', () => {
      const env = Object.fromEntries((c.env ?? []).map((e: { name: string }) => [e.name, e]));
      for (const key of ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN']) {
        expect(env[key]?.value, `${key} must not be a literal`).toBeUndefined();
        expect(env[key]?.valueFrom?.secretKeyRef).toEqual({ name: 'dbupdate-slack', key });
      }
    });

    it('mounts the generated ConfigMap at the DBUPDATE_CONFIG path, and /tmp as an emptyDir', () => {
      const env = Object.fromEntries((c.env ?? []).map((e: { name: string; value?: string }) => [e.name, e.value]));
      expect(env.DBUPDATE_CONFIG).toBe('/etc/dbupdate/config.yaml');
      const cm = one('ConfigMap');
      const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
      const mounts = Object.fromEntries(c.volumeMounts.map((m: { mountPath: string; name: string }) => [m.mountPath, m]));
      const cfgVol = volumes[mounts['/etc/dbupdate'].name];
      expect(cfgVol.configMap.name).toBe(cm.metadata.name); // kustomize rewrote the hashed name
      expect(cfgVol.configMap.items ?? [{ key: 'config.yaml', path: 'config.yaml' }]).toContainEqual({ key: 'config.yaml', path: 'config.yaml' });
      expect(mounts['/etc/dbupdate'].readOnly).toBe(true);
      expect(volumes[mounts['/tmp'].name].emptyDir).toBeDefined();
    });
  });

  it('the ConfigMap holds a configuration the bot accepts, whose recordsNamespace is the install namespace', () => {
    const cm = one('ConfigMap');
    expect(cm.metadata.name).toMatch(/^dbupdate-config-[a-z0-9]+$/);
    const text = cm.data?.['config.yaml'];
    expect(typeof text).toBe('string');
    const config = validateConfig(parse(text), 'ConfigMap config.yaml');
    expect(config.recordsNamespace).toBe(NAMESPACE); // the Role, the records and the Lease must be in one namespace
    expect(config.approvers.length).toBeGreaterThan(0);
  });

  it('PodDisruptionBudget keeps 1 pod and selects the Deployment’s pods; Service exposes metrics on the http port', () => {
    const pdb = one('PodDisruptionBudget');
    const podLabels = one('Deployment').spec.template.metadata.labels;
    expect(pdb.spec.minAvailable).toBe(1);
    expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
    const svc = one('Service');
    expect(podLabels).toMatchObject(svc.spec.selector);
    expect(svc.spec.ports).toContainEqual(expect.objectContaining({ name: 'metrics', targetPort: 'http' }));
    expect(svc.metadata.annotations?.['prometheus.io/path']).toBe('/metrics');
  });

  describe('RBAC', () => {
    const rulesOf = (o: Obj): Rule[] => o.rules ?? [];
    let role: Obj;
    let clusterRole: Obj;
    beforeAll(() => {
      role = one('Role', 'dbupdate');
      clusterRole = one('ClusterRole', 'dbupdate');
    });

    it('binds the Role and ClusterRole to the dbupdate ServiceAccount in dbupdate', () => {
      expect(one('ServiceAccount').metadata.name).toBe(SA);
      const subject = { kind: 'ServiceAccount', name: SA, namespace: NAMESPACE };
      const rb = one('RoleBinding');
      expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
      expect(rb.subjects).toEqual([subject]);
      const crb = one('ClusterRoleBinding');
      expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole.metadata.name });
      expect(crb.subjects).toEqual([subject]);
    });

    it('covers every API call of the code (namespaced calls by the Role or the ClusterRole, the rest by the ClusterRole)', () => {
      const missing = CALLS.filter((c) => {
        const byCluster = rulesOf(clusterRole).some((r) => covers(r, c));
        const byRole = c.namespaced && rulesOf(role).some((r) => covers(r, c));
        return !byCluster && !byRole;
      }).map((c) => `${c.verb} ${c.resource}.${c.group || 'core'}${c.name ? `/${c.name}` : ''} (${c.where})`);
      expect(missing).toEqual([]);
    });

    it('uses no wildcards and no non-resource URLs', () => {
      for (const r of [...rulesOf(role), ...rulesOf(clusterRole)]) {
        expect(r.verbs).not.toContain('*');
        expect(r.resources ?? []).not.toContain('*');
        expect(r.apiGroups ?? []).not.toContain('*');
        expect((r.resources ?? []).some((x) => x.includes('*'))).toBe(false);
        expect(r.nonResourceURLs).toBeUndefined();
      }
    });

    it('grants nothing the code does not call: deletes only of pods (forced rollback) and of what retention removes, writes to databases/PetSets only as patch', () => {
      const all = [...rulesOf(role), ...rulesOf(clusterRole)];
      for (const r of all) {
        if ((r.resources ?? []).includes('secrets')) expect(r.verbs).toEqual(['get']);
        // pods: the direct pipeline's forced rollback; records, their locks and their OpsRequests: src/updates/retention.ts.
        if (r.verbs.includes('delete')) {
          for (const res of r.resources ?? []) expect(res === 'pods' || res === 'databaseupdates' || res === 'databaseupdatebatches' || res === 'leases' || res.endsWith('opsrequests'), `delete on ${res}`).toBe(true);
        }
        expect(r.verbs).not.toContain('deletecollection');
        expect(r.verbs).not.toContain('escalate');
        expect(r.verbs).not.toContain('bind');
        expect(r.verbs).not.toContain('impersonate');
        if ((r.apiGroups ?? []).includes('kubedb.com') || (r.apiGroups ?? []).includes('apps.k8s.appscode.com')) {
          expect(r.verbs.every((v) => ['get', 'list', 'watch', 'patch'].includes(v)), 'database/PetSet writes are merge patches only').toBe(true);
        }
        if ((r.resources ?? []).includes('pods')) expect(r.verbs.every((v) => ['list', 'watch', 'delete'].includes(v))).toBe(true);
      }
      // every grant on databases, PetSets and pods is a call of the code (the other direction of the coverage test)
      const called = new Set(CALLS.map((c) => `${c.verb} ${c.resource}.${c.group || 'core'}`));
      const extra = rulesOf(clusterRole)
        .filter((r) => (r.apiGroups ?? []).some((g) => g === 'kubedb.com' || g === PETSET_GROUP) || (r.resources ?? []).some((x) => x === 'pods' || x === 'pods/portforward' || x === 'secrets'))
        .flatMap(grants)
        .filter((g) => !called.has(g));
      expect(extra).toEqual([]);
      // records and Leases are confined to the bot's namespace (Role), not granted cluster-wide
      expect(rulesOf(clusterRole).some((r) => (r.apiGroups ?? []).includes(RECORD_GROUP) || (r.apiGroups ?? []).includes('coordination.k8s.io'))).toBe(false);
    });

    it('grants no Secret at all; the opt-in component grants exactly get on Secrets, bound to the bot', () => {
      expect([...rulesOf(role), ...rulesOf(clusterRole)].filter((r) => (r.resources ?? []).includes('secrets'))).toEqual([]);
      const component = parseAllDocuments(readFileSync(join(ROOT, 'deploy/components/read-secrets/rbac.yaml'), 'utf8')).map((d) => d.toJSON() as Obj);
      const cr = component.find((o) => o.kind === 'ClusterRole')!;
      expect(OPT_IN_CALLS.filter((c) => !rulesOf(cr).some((r) => covers(r, c)))).toEqual([]);
      expect(rulesOf(cr).flatMap(grants)).toEqual(['get secrets.core']);
      const crb = component.find((o) => o.kind === 'ClusterRoleBinding')!;
      expect(crb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: cr.metadata.name });
      expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: 'dbupdate', namespace: 'dbupdate' }]);
      const kustomization = parse(readFileSync(join(ROOT, 'deploy/components/read-secrets/kustomization.yaml'), 'utf8')) as { kind: string; resources: string[] };
      expect(kustomization).toMatchObject({ kind: 'Component', resources: ['rbac.yaml'] });
    });

    it('the covers() check itself refuses a call outside a rule (sanity of the table check)', () => {
      const rule: Rule = { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEASE_NAME], verbs: ['get'] };
      expect(covers(rule, { group: 'coordination.k8s.io', resource: 'leases', verb: 'get', name: LEASE_NAME, namespaced: true, where: '' })).toBe(true);
      expect(covers(rule, { group: 'coordination.k8s.io', resource: 'leases', verb: 'get', name: 'other', namespaced: true, where: '' })).toBe(false);
      expect(covers(rule, { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespaced: true, where: '' })).toBe(false);
    });
  });
});

describe('deploy/secret.example.yaml', () => {
  it('is a template with placeholders only, named as the Deployment expects, and not in the kustomization', () => {
    const text = readFileSync(join(ROOT, 'deploy', 'secret.example.yaml'), 'utf8');
    const secret = parse(text) as Obj;
    expect(secret.kind).toBe('Secret');
    expect(secret.metadata.name).toBe('dbupdate-slack');
    expect(Object.keys(secret.stringData).sort()).toEqual(['SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']);
    for (const v of Object.values<string>(secret.stringData)) expect(v).toMatch(/REPLACE-ME/);
    expect(text).toMatch(/never commit real values/i);
    const kustomization = parse(readFileSync(join(ROOT, 'deploy', 'kustomization.yaml'), 'utf8'));
    expect(kustomization.resources).not.toContain('secret.example.yaml');
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  it('is multi-stage: builds with npm ci + npm run build, prunes dev dependencies', () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/RUN npm ci\b/);
    expect(text).toMatch(/RUN npm run build\b/);
    expect(text).toMatch(/npm prune --omit=dev/);
  });
  it('runs dist/main.js as the non-root user 10001 and exposes 8080', () => {
    expect(text).toMatch(/^USER 10001(:10001)?$/m);
    expect(text).toMatch(/^CMD \["node", ?("--[a-z-]+(=[^"]*)?", ?)*"dist\/main\.js"\]$/m);
    expect(text).toMatch(/^EXPOSE 8080$/m);
  });
  it('runs node with --optimize-for-size, and the scale benchmark reads the same flags from the CMD', () => {
    expect(imageNodeFlags(text)).toEqual(['--optimize-for-size']);
    expect(() => imageNodeFlags('FROM node:22\nCMD node dist/main.js\n')).toThrow(/exec-form CMD/);
  });
  it('.dockerignore keeps node_modules, secrets and local state out of the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', '.git', '.env*']) expect(ignore).toContain(p);
  });
});
