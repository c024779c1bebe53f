/**
 * The chart refuses bad values, with the real helm (v3.17, scripts/install-tools.sh): a table of schema
 * violations, each with helm's own error text; the example's placeholder Slack IDs refused at
 * `helm template` and `helm install`; every documented value rendered (and `helm lint --strict`ed) with a
 * non-default value that changes the output; the generated parts current (values.schema.json's `config`
 * from the bot's zod schema, the README's values table from values.yaml); every value in the schema and
 * documented; the CRD a real file equal to deploy/'s; the icon. helm must be installed (.tools/bin or
 * PATH): the suite fails, not skips, without it.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { PLACEHOLDER_IDS } from '../src/startup/placeholders.js';
import { ADMIN_USER, KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { documentedValues, generatedFiles, schemaAt, valueKeys } from '../scripts/chart-docs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHART = join(ROOT, 'deploy/helm/dbupdate');

function findTool(name: string): string {
  for (const d of [join(ROOT, '.tools/bin'), ...(process.env.PATH ?? '').split(delimiter)]) {
    if (d && existsSync(join(d, name))) return join(d, name);
  }
  throw new Error(`${name} not found in .tools/bin nor on PATH: run scripts/install-tools.sh`);
}

let dir: string;
let helm: string;
function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(helm, args, { env: { ...process.env, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), HELM_CACHE_HOME: join(dir, 'helm') }, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
/** Runs helm at most 2 at a time (the machine has 2 cores). */
const limit = pLimit(2);
const MINIMAL = ['--set', 'config.approvers={U07ALICE01}'];
const template = (...args: string[]) => limit(() => run(['template', 'x', CHART, ...MINIMAL, ...args]));

let minimal: string;
/** The Kubernetes API emulator (sim/kube) that `helm install` talks to. */
let server: KubeApiServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'helm-values-'));
  helm = findTool('helm');
  server = await KubeApiServer.start({ store: new Store(), rbac: true, unauthenticatedUser: ADMIN_USER });
  server.writeKubeconfig(join(dir, 'kubeconfig'));
  server.store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dbupdate' } });
  const r = await template();
  expect(r.stderr).toBe('');
  minimal = r.stdout;
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Bad values and helm's error for each: the schema's (unknown key, wrong type, unknown choice, a pattern)
 * or a template's `fail`. Every row must fail; the expected text is helm's, matched as a substring.
 */
const VIOLATIONS: [string, string[], string][] = [
  ['a misspelt key', ['--set', 'replica=5'], '- (root): Additional property replica is not allowed'],
  ['an unknown backend', ['--set', 'config.backend=magic'], '- config.backend: config.backend must be one of the following: "auto", "ops-request", "direct"'],
  ['an unknown backup mode', ['--set', 'config.backup.beforeMajor=always'], '- config.backup.beforeMajor: config.backup.beforeMajor must be one of the following: "required", "ifConfigured", "off"'],
  ['a drift report without its channel', ['--set', 'config.reports[0].cron=0 9 * * mon'], "- config.reports.0: channel is required"],
  ['an unknown Slack mode', ['--set', 'slack.mode=rtm'], '- slack.mode: slack.mode must be one of the following: "socket", "http"'],
  ['replicas as text', ['--set', 'replicas=two'], '- replicas: Invalid type. Expected: integer, given: string'],
  ['zero replicas', ['--set', 'replicas=0'], '- replicas: Must be greater than or equal to 1'],
  ['recordsNamespace (always the release namespace)', ['--set', 'config.recordsNamespace=ops'], '- config: Additional property recordsNamespace is not allowed'],
  ['an unknown policy field', ['--set', 'config.approver=U07ALICE01'], '- config: Additional property approver is not allowed'],
  ['an approver that is not a user ID', ['--set', 'config.approvers={alice}'], "- config.approvers.0: Does not match pattern '^[UW][A-Z0-9_]+$'"],
  ['too many approvals', ['--set', 'config.approvalsRequired=11'], '- config.approvalsRequired: Must be less than or equal to 10'],
  ['a namespace that is not a DNS label', ['--set', 'config.defaultNamespace=Orders_DB'], "- config.defaultNamespace: Does not match pattern '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'"],
  ['an unknown pull policy', ['--set', 'image.pullPolicy=Sometimes'], '- image.pullPolicy: image.pullPolicy must be one of the following: "Always", "IfNotPresent", "Never"'],
  ['an empty image repository', ['--set', 'image.repository='], '- image.repository: String length must be greater than or equal to 1'],
  ['an unknown log level', ['--set', 'logLevel=verbose'], '- logLevel: logLevel must be one of the following: "trace", "debug", "info", "warn", "error", "fatal"'],
  ['an unknown RBAC scope', ['--set', 'rbac.scope=everything'], '- rbac.scope: rbac.scope must be one of the following: "cluster", "namespaces"'],
  ['readSecrets as text', ['--set-string', 'rbac.readSecrets=yes'], '- rbac.readSecrets: Invalid type. Expected: boolean, given: string'],
  ['a slow-step bound that is no histogram bucket', ['--set', 'prometheusRule.slowStepSeconds=1000'], '- prometheusRule.slowStepSeconds: prometheusRule.slowStepSeconds must be one of the following: 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800'],
  ['a port out of range', ['--set', 'slack.httpPort=70000'], '- slack.httpPort: Must be less than or equal to 65535'],
  ['an env entry without a name', ['--set-json', 'extraEnv=[{"value":"x"}]'], '- extraEnv.0: name is required'],
  ['a volume mount without a path', ['--set-json', 'extraVolumeMounts=[{"name":"ca"}]'], '- extraVolumeMounts.0: mountPath is required'],
  ['a node selector with a number', ['--set-json', 'nodeSelector={"zone":1}'], '- nodeSelector.zone: Invalid type. Expected: string, given: integer'],
  ['namespace scope without namespaces', ['--set', 'rbac.scope=namespaces'], 'rbac.scope=namespaces needs rbac.namespaces: the namespaces of the databases the bot may update'],
  ['no Secret named', ['--set', 'slack.existingSecret='], '- slack.existingSecret: String length must be greater than or equal to 1'],
];

describe('schema violations', { timeout: 120_000 }, () => {
  it('each bad value fails helm template with helm\'s error naming the value', async () => {
    const results = await Promise.all(VIOLATIONS.map(([, args]) => template(...args)));
    for (const [i, [what, , text]] of VIOLATIONS.entries()) {
      expect(results[i].code, what).not.toBe(0);
      expect(results[i].stderr, what).toContain(text);
      expect(results[i].stdout, what).toBe('');
    }
  });

  it('helm install (against the Kubernetes emulator) refuses them and creates nothing but the CRD; good values install', async () => {
    const bad = await limit(() => run(['install', 'x', CHART, '-n', 'dbupdate', ...MINIMAL, '--set', 'replica=5']));
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('- (root): Additional property replica is not allowed');
    // Helm installs crds/ before it renders (and validates) the rest: the CRD is the one object written.
    const inNamespace = ['configmaps', 'secrets', 'serviceaccounts'].flatMap((plural) => server.store.list({ group: '', version: 'v1', plural }, 'dbupdate').items);
    expect(inNamespace.map((o) => o.metadata.name)).toEqual([]);
    expect(server.store.list({ group: 'apps', version: 'v1', plural: 'deployments' }, 'dbupdate').items).toEqual([]);
    const good = await limit(() => run(['install', 'ok', CHART, '-n', 'good', '--create-namespace', ...MINIMAL]));
    expect(good.stderr).toBe('');
    expect(good.stdout).toContain('STATUS: deployed');
    expect(server.store.get({ group: 'apps', version: 'v1', plural: 'deployments' }, 'good', 'ok')).toMatchObject({ spec: { replicas: 2 } });
  });
});

describe('placeholder IDs', { timeout: 120_000 }, () => {
  it('the template lists exactly the placeholders the bot refuses (src/startup/placeholders.ts)', () => {
    const tpl = readFileSync(join(CHART, 'templates/_helpers.tpl'), 'utf8');
    const list = /define "dbupdate\.placeholderIds"[\s\S]*?list ((?:"[^"]+" ?)+)/.exec(tpl)![1];
    expect([...list.matchAll(/"([^"]+)"/g)].map((m) => m[1])).toEqual([...PLACEHOLDER_IDS]);
  });

  it('the defaults (placeholder approvers) fail helm template and helm install with the fix', async () => {
    const msg = "config holds the example's placeholder Slack IDs (U0AAAAAAA, U0BBBBBBB): set your workspace's IDs, e.g. --set 'config.approvers={U07ALICE01}'";
    const [t, i] = await Promise.all([limit(() => run(['template', 'x', CHART])), limit(() => run(['install', 'x', CHART, '-n', 'dbupdate']))]);
    for (const r of [t, i]) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(msg);
    }
    expect(server.store.list({ group: '', version: 'v1', plural: 'configmaps' }, 'dbupdate').items).toEqual([]);
  });

  it('a placeholder anywhere in the policy (a value or a channel key) fails', async () => {
    const cases: [string[], string][] = [
      [['--set', 'config.approvers={U07ALICE01,U0CCCCCCC}'], '(U0CCCCCCC)'],
      [['--set', 'config.approverGroups={S0DBA00001}'], '(S0DBA00001)'],
      [['--set', 'config.channelNamespaces.C0123456789=orders'], '(C0123456789)'],
    ];
    const rs = await Promise.all(cases.map(([args]) => template(...args)));
    rs.forEach((r, i) => {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`placeholder Slack IDs ${cases[i][1]}`);
    });
  });
});

/** For each documented value: a non-default setting (with what it needs) whose effect must show in the render. */
const OPTIONS: Record<string, string[]> = {
  nameOverride: ['--set', 'nameOverride=bot'],
  fullnameOverride: ['--set', 'fullnameOverride=db-bot'],
  'image.repository': ['--set', 'image.repository=registry.internal/dbupdate'],
  'image.tag': ['--set', 'image.tag=0.1.1'],
  'image.pullPolicy': ['--set', 'image.pullPolicy=Always'],
  imagePullSecrets: ['--set', 'imagePullSecrets[0].name=regcred'],
  replicas: ['--set', 'replicas=3'],
  'slack.existingSecret': ['--set', 'slack.existingSecret=slack-creds'],
  'slack.mode': ['--set', 'slack.mode=http'],
  'slack.httpPort': ['--set', 'slack.mode=http,slack.httpPort=3100'],
  'slack.apiUrl': ['--set', 'slack.apiUrl=https://slack.internal/api/'],
  'config.clusterName': ['--set', 'config.clusterName=prod-us'],
  'config.defaultNamespace': ['--set', 'config.defaultNamespace=orders'],
  'config.approvers': ['--set', 'config.approvers={U07ALICE01,U07BOB0002}'],
  'config.approvalsRequired': ['--set', 'config.approvers={U07ALICE01,U07BOB0002},config.approvalsRequired=2'],
  'config.allowSelfApproval': ['--set', 'config.allowSelfApproval=true'],
  'config.requestTtl': ['--set', 'config.requestTtl=8h'],
  'config.backend': ['--set', 'config.backend=direct'],
  'config.opsRequestTimeout': ['--set', 'config.opsRequestTimeout=1h'],
  'config.fleet': ['--set', 'config.fleet.maxParallel=5,config.fleet.soak=10m'],
  logLevel: ['--set', 'logLevel=debug'],
  nodeOptions: ['--set', 'nodeOptions=--max-old-space-size=320'],
  resources: ['--set', 'resources.limits.memory=384Mi'],
  podSecurityContext: ['--set', 'podSecurityContext.runAsUser=null,podSecurityContext.runAsGroup=null,podSecurityContext.fsGroup=null'],
  securityContext: ['--set', 'securityContext.runAsUser=null,securityContext.runAsGroup=null'],
  livenessProbe: ['--set', 'livenessProbe.periodSeconds=30'],
  readinessProbe: ['--set', 'readinessProbe.failureThreshold=6'],
  extraEnv: ['--set-json', 'extraEnv=[{"name":"HTTPS_PROXY","value":"http://proxy:3128"}]'],
  extraVolumes: ['--set-json', 'extraVolumes=[{"name":"ca","configMap":{"name":"corp-ca"}}]'],
  extraVolumeMounts: ['--set-json', 'extraVolumes=[{"name":"ca","configMap":{"name":"corp-ca"}}]', '--set-json', 'extraVolumeMounts=[{"name":"ca","mountPath":"/etc/ssl/corp","readOnly":true}]'],
  priorityClassName: ['--set', 'priorityClassName=platform-critical'],
  'serviceAccount.create': ['--set', 'serviceAccount.create=false'],
  'serviceAccount.name': ['--set', 'serviceAccount.name=bot'],
  'serviceAccount.annotations': ['--set', 'serviceAccount.annotations.team=platform'],
  'rbac.create': ['--set', 'rbac.create=false'],
  'rbac.scope': ['--set', 'rbac.scope=namespaces,rbac.namespaces={demo}'],
  'rbac.namespaces': ['--set', 'rbac.scope=namespaces,rbac.namespaces={demo,billing}'],
  'rbac.readSecrets': ['--set', 'rbac.readSecrets=true'],
  'podDisruptionBudget.enabled': ['--set', 'podDisruptionBudget.enabled=false'],
  'podDisruptionBudget.minAvailable': ['--set', 'podDisruptionBudget.minAvailable=2'],
  podAnnotations: ['--set', 'podAnnotations.team=platform'],
  podLabels: ['--set', 'podLabels.team=platform'],
  nodeSelector: ['--set', 'nodeSelector.kubernetes\\.io/os=linux'],
  tolerations: ['--set-json', 'tolerations=[{"key":"dedicated","operator":"Exists","effect":"NoSchedule"}]'],
  affinity: ['--set-json', 'affinity={"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{"matchExpressions":[{"key":"pool","operator":"In","values":["platform"]}]}}]}}'],
  'metrics.service': ['--set', 'metrics.service=false'],
  'serviceMonitor.enabled': ['--set', 'serviceMonitor.enabled=true'],
  'serviceMonitor.interval': ['--set', 'serviceMonitor.enabled=true,serviceMonitor.interval=1m'],
  'serviceMonitor.labels': ['--set', 'serviceMonitor.enabled=true,serviceMonitor.labels.release=kps'],
  'prometheusRule.enabled': ['--set', 'prometheusRule.enabled=true'],
  'prometheusRule.labels': ['--set', 'prometheusRule.enabled=true,prometheusRule.labels.release=kps'],
  'prometheusRule.slowStepSeconds': ['--set', 'prometheusRule.enabled=true,prometheusRule.slowStepSeconds=600'],
  'prometheusRule.apiErrorRate': ['--set', 'prometheusRule.enabled=true', '--set-json', 'prometheusRule.apiErrorRate=0.5'],
  'networkPolicy.enabled': ['--set', 'networkPolicy.enabled=true'],
  'networkPolicy.metricsNamespaces': ['--set', 'networkPolicy.enabled=true,networkPolicy.metricsNamespaces={monitoring}'],
  'networkPolicy.egressPorts': ['--set', 'networkPolicy.enabled=true,networkPolicy.egressPorts={443}'],
};
/** The option that a companion setting of another row enables (its render is compared against that base). */
const BASE: Record<string, string[]> = {
  'slack.httpPort': ['--set', 'slack.mode=http'],
  'config.approvalsRequired': ['--set', 'config.approvers={U07ALICE01,U07BOB0002}'],
  extraVolumeMounts: ['--set-json', 'extraVolumes=[{"name":"ca","configMap":{"name":"corp-ca"}}]'],
  'rbac.namespaces': ['--set', 'rbac.scope=namespaces,rbac.namespaces={demo}'],
  'serviceMonitor.interval': ['--set', 'serviceMonitor.enabled=true'],
  'serviceMonitor.labels': ['--set', 'serviceMonitor.enabled=true'],
  'prometheusRule.labels': ['--set', 'prometheusRule.enabled=true'],
  'prometheusRule.slowStepSeconds': ['--set', 'prometheusRule.enabled=true'],
  'prometheusRule.apiErrorRate': ['--set', 'prometheusRule.enabled=true'],
  'networkPolicy.metricsNamespaces': ['--set', 'networkPolicy.enabled=true'],
  'networkPolicy.egressPorts': ['--set', 'networkPolicy.enabled=true'],
};

describe('every documented value', { timeout: 300_000 }, () => {
  const values = documentedValues(readFileSync(join(CHART, 'values.yaml'), 'utf8'));

  it('has a row here (a new value needs one)', () => {
    expect(Object.keys(OPTIONS).sort()).toEqual(values.map((v) => v.key).sort());
  });

  it('renders with a non-default value, passes helm lint --strict, and changes the output', async () => {
    const keys = Object.keys(OPTIONS);
    const [renders, bases, lints] = await Promise.all([
      Promise.all(keys.map((k) => template(...OPTIONS[k]))),
      Promise.all(keys.map((k) => (BASE[k] ? template(...BASE[k]) : Promise.resolve({ code: 0, stdout: minimal, stderr: '' })))),
      Promise.all(keys.map((k) => limit(() => run(['lint', '--strict', CHART, ...MINIMAL, ...OPTIONS[k]])))),
    ]);
    const failed = keys.flatMap((k, i) => (renders[i].code !== 0 || lints[i].code !== 0 ? [`${k}: ${renders[i].stderr}${lints[i].stdout}`] : []));
    expect(failed).toEqual([]);
    const noEffect = keys.filter((_k, i) => renders[i].stdout === bases[i].stdout);
    expect(noEffect).toEqual([]);
    for (const r of renders) expect(parseAllDocuments(r.stdout).every((d) => d.errors.length === 0)).toBe(true);
  });
});

describe('generated and checked files', () => {
  it('the CRD copy, values.schema.json and the README values table are current (npx tsx scripts/chart-docs.ts)', () => {
    for (const [path, text] of generatedFiles()) expect(readFileSync(path, 'utf8'), `${path}: run npx tsx scripts/chart-docs.ts`).toBe(text);
  });

  it('every value of values.yaml is in the schema and documented (itself or a documented parent)', () => {
    const yaml = readFileSync(join(CHART, 'values.yaml'), 'utf8');
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
    const documented = new Set(documentedValues(yaml).map((v) => v.key));
    const keys = valueKeys(parse(yaml));
    const underDocumented = (k: string) => k.split('.').some((_, i, parts) => i < parts.length - 1 && documented.has(parts.slice(0, i + 1).join('.')));
    expect(keys.filter((k) => !underDocumented(k) && !schemaAt(schema, k))).toEqual([]);
    const leaves = keys.filter((k) => !keys.some((o) => o.startsWith(`${k}.`)));
    expect(leaves.filter((k) => !documented.has(k) && !underDocumented(k))).toEqual([]);
    // Closed at every level the chart owns: an unknown key anywhere is refused.
    const open = keys.filter((k) => !underDocumented(k) && (schemaAt(schema, k) as { type?: string; additionalProperties?: unknown }).type === 'object' && (schemaAt(schema, k) as { additionalProperties?: unknown }).additionalProperties !== false && !documented.has(k));
    expect(open).toEqual([]);
  });

  it('the CRD is a real file, equal to deploy/crd-databaseupdate.yaml', () => {
    const crd = join(CHART, 'crds/crd-databaseupdate.yaml');
    expect(lstatSync(crd).isSymbolicLink()).toBe(false);
    expect(readFileSync(crd, 'utf8')).toBe(readFileSync(join(ROOT, 'deploy/crd-databaseupdate.yaml'), 'utf8'));
  });

  it('Chart.yaml: the icon is the chart folder\'s SVG; appVersion is package.json\'s version', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { icon: string; appVersion: string; version: string };
    const m = /^https:\/\/raw\.githubusercontent\.com\/dbupdate-dev\/dbupdate\/main\/(.+)$/.exec(chart.icon);
    expect(m, chart.icon).not.toBeNull();
    const svg = readFileSync(join(ROOT, m![1]), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 128 128"/);
    expect(svg).toMatch(/<title[^>]*>[^<]+<\/title>/);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect([chart.version, chart.appVersion]).toEqual([pkg.version, pkg.version]);
  });

  it('helm package holds the schema, the README and the CRD, and warns of nothing', async () => {
    const r = await limit(() => run(['package', CHART, '--destination', dir]));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const tgz = join(dir, 'dbupdate-0.1.0.tgz');
    const list = await new Promise<string>((resolve, reject) => {
      const p = spawn('tar', ['tzf', tgz]);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', reject);
      p.on('close', () => resolve(out));
    });
    expect(list.split('\n').filter(Boolean).sort()).toEqual(expect.arrayContaining(['dbupdate/README.md', 'dbupdate/values.schema.json', 'dbupdate/crds/crd-databaseupdate.yaml', 'dbupdate/values.yaml']));
  });
});
