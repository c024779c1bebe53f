/**
 * The control plane one test run shares: `envtest/global-setup.ts` starts it once (vitest's
 * `globalSetup`) and publishes its facts in `$DBUPDATE_ENVTEST` (a JSON file); every test file connects
 * to it and isolates itself in namespaces of its own ({@link freshNamespace}), the cheap isolation of
 * issue #18 item 5 (one control plane per run keeps a warm `npm test` within its budget).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { serviceAccountToken } from './control-plane.js';

/** What a test needs to reach the shared control plane (serialisable). */
export interface ControlPlaneInfo {
  server: string;
  dir: string;
  caFile: string;
  kubeconfigPath: string;
  botKubeconfigPath: string;
  auditLogPath: string;
  tokens: { admin: string; bot: string };
  pids: Record<string, number>;
}

/** A connection to the shared control plane. */
export interface SharedControlPlane extends ControlPlaneInfo {
  /** A client-node KubeConfig for `token` (default: the admin's). */
  kubeConfig(token?: string): KubeConfig;
  /** A kubeconfig YAML for `token` (default: the admin's). */
  kubeconfigYaml(token?: string): string;
  /** A service account token by TokenRequest (namespace and account created when missing). */
  serviceAccountToken(namespace: string, name: string, expirationSeconds?: number): Promise<string>;
}

/** The env var naming the JSON file with the shared control plane's {@link ControlPlaneInfo}. */
export const ENVTEST_ENV = 'DBUPDATE_ENVTEST';

/** A kubeconfig YAML for `server` with bearer `token`. */
export function kubeconfigYaml(info: Pick<ControlPlaneInfo, 'server' | 'caFile'>, token: string, user = 'user'): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster: { server: "${info.server}", certificate-authority: "${info.caFile}" }
users:
- name: ${user}
  user: { token: "${token}" }
contexts:
- name: envtest
  context: { cluster: envtest, user: ${user} }
current-context: envtest
`;
}

/**
 * Connect to the run's shared control plane.
 * @throws Error when the run has none (the test was not started by `npm test`/vitest with the global setup).
 */
export function sharedControlPlane(): SharedControlPlane {
  const file = process.env[ENVTEST_ENV];
  if (!file) throw new Error(`no shared control plane: ${ENVTEST_ENV} is not set (run the tests with \`npm test\` or \`npx vitest\`, whose globalSetup starts one)`);
  const info = JSON.parse(readFileSync(file, 'utf8')) as ControlPlaneInfo;
  const handle: SharedControlPlane = {
    ...info,
    kubeconfigYaml: (token) => kubeconfigYaml(info, token ?? info.tokens.admin, token && token !== info.tokens.admin ? 'user' : 'admin'),
    kubeConfig(token) {
      const kc = new KubeConfig();
      kc.loadFromString(handle.kubeconfigYaml(token));
      return kc;
    },
    serviceAccountToken: (namespace, name, expirationSeconds) => serviceAccountToken(handle.kubeConfig(), namespace, name, expirationSeconds),
  };
  return handle;
}

/**
 * Create a namespace named `<prefix>-<8 hex>` (labelled `dbupdate.test/run=<prefix>`) and return its name.
 * @throws the API server's error.
 */
export async function freshNamespace(kc: KubeConfig, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`.slice(0, 63);
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name, labels: { 'dbupdate.test/run': prefix, ...labels } } } });
  return name;
}

/** One audit event (audit.k8s.io/v1 Event, the fields read here). */
export interface AuditEvent {
  stage?: string;
  verb?: string;
  requestURI?: string;
  user?: { username?: string };
  objectRef?: { resource?: string; subresource?: string; namespace?: string; name?: string };
  responseStatus?: { code?: number };
}

/**
 * Count the audit log's requests made by `user` (JSON lines, stage ResponseComplete) from line `fromLine`
 * on, that `keep` accepts. `verbs` counts by `verb resource[/subresource]`, `codes` by HTTP status; `lines`
 * is the log's whole line count (the next call's `fromLine`).
 */
export function auditRequests(
  info: Pick<ControlPlaneInfo, 'auditLogPath'>,
  user: string,
  fromLine = 0,
  keep: (ev: AuditEvent) => boolean = () => true,
): { count: number; lines: number; verbs: Record<string, number>; codes: Record<string, number> } {
  const all = readFileSync(info.auditLogPath, 'utf8').split('\n').filter(Boolean);
  const verbs: Record<string, number> = {};
  const codes: Record<string, number> = {};
  let count = 0;
  for (const line of all.slice(fromLine)) {
    const ev = JSON.parse(line) as AuditEvent;
    if (ev.stage !== 'ResponseComplete' || ev.user?.username !== user || !keep(ev)) continue;
    count++;
    const key = `${ev.verb} ${ev.objectRef?.resource ?? ev.requestURI ?? '-'}${ev.objectRef?.subresource ? '/' + ev.objectRef.subresource : ''}`;
    verbs[key] = (verbs[key] ?? 0) + 1;
    const code = String(ev.responseStatus?.code ?? '?');
    codes[code] = (codes[code] ?? 0) + 1;
  }
  return { count, lines: all.length, verbs, codes };
}
