/**
 * envtest in TypeScript: a real Kubernetes control plane for tests and for a person (`npm run cluster`),
 * started the way controller-runtime's envtest starts one for Go controllers
 * (controller-runtime pkg/internal/testing/controlplane/{apiserver,etcd}.go, pkg/envtest/server.go):
 *
 * - `etcd` on a free loopback port with a throw-away data dir and `--unsafe-no-fsync` (envtest adds it on
 *   etcd ≥ 3.5);
 * - `kube-apiserver` on a free loopback port with a cert dir it self-signs into (`apiserver.crt`, the
 *   serving certificate followed by its CA), a service-account signing key made here
 *   (`crypto.generateKeyPairSync`), RBAC authorization, static bearer tokens (`--token-auth-file`) for the
 *   admin (`system:masters`) and the bot (`system:serviceaccount:dbupdate:dbupdate`), envtest's
 *   `--service-cluster-ip-range=10.0.0.0/24 --allow-privileged --disable-admission-plugins=ServiceAccount`,
 *   and an audit log at level Metadata (the request counts of tests and benchmarks read it);
 * - `kube-controller-manager` with the garbage-collector, namespace and statefulset controllers
 *   (names from cmd/kube-controller-manager/names/controller_names.go), no leader election, no serving.
 *
 * Readiness is `/readyz` polled WITH the admin token (anonymous requests get 403 until the RBAC
 * bootstrap roles exist), up to 60 s: k8s CI saw 31–35 s on contended machines (kubernetes#137743).
 * Every process is stopped by PID (SIGTERM, then SIGKILL after 5 s); the directory with the logs is
 * removed unless `keep` is asked (tests keep it when they fail).
 *
 * Binaries come from `scripts/build-control-plane.sh` (tools/controlplane/go.mod: k8s.io/kubernetes
 * v1.36.3, etcd v3.6.8), found through the `.tools/controlplane` link or `$DBUPDATE_CONTROL_PLANE_BIN`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';

/** The repository root (envtest/ is one level below it). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The command that builds the binaries, as printed in errors. */
export const BUILD_COMMAND = 'scripts/build-control-plane.sh';
/** The bot's identity in the control plane, as the Helm chart and deploy/ name it. */
export const BOT_USER = 'system:serviceaccount:dbupdate:dbupdate';
/** The user kube-controller-manager acts as (in `system:masters`; kept out of the audit log). */
export const KCM_USER = 'system:kube-controller-manager';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** Folder with `etcd`, `kube-apiserver`, `kube-controller-manager` (default: `.tools/controlplane` or `$DBUPDATE_CONTROL_PLANE_BIN`). */
  binDir?: string;
  /** Working directory (certs, data, logs, kubeconfigs); default: a new temporary one. */
  dir?: string;
  /** kube-controller-manager's controllers; `false` runs no kube-controller-manager. */
  controllers?: string[] | false;
  /** Longest wait for each process to be ready, ms (default 60 000). */
  startTimeoutMs?: number;
  /** Extra kube-apiserver flags (`--flag=value`). */
  apiServerArgs?: string[];
}

/** A running control plane. */
export interface ControlPlane {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** Working directory: `logs/`, `certs/`, `etcd/`, `admin.kubeconfig`, `bot.kubeconfig`, `audit.log`. */
  dir: string;
  /** CA bundle (PEM) that verifies the API server's serving certificate. */
  caFile: string;
  /** Admin kubeconfig (user in `system:masters`). */
  kubeconfigPath: string;
  /** The bot's kubeconfig ({@link BOT_USER}, authorized by RBAC only). */
  botKubeconfigPath: string;
  /** The audit log (JSON lines, level Metadata, one `ResponseComplete` per request). */
  auditLogPath: string;
  /** Bearer tokens of the static users. */
  tokens: { admin: string; bot: string };
  /** PIDs of the processes, by name. */
  pids: Record<string, number>;
  /** A kubeconfig YAML for `token` (default: the admin's). */
  kubeconfigYaml(token?: string): string;
  /** A client-node KubeConfig for `token` (default: the admin's). */
  kubeConfig(token?: string): KubeConfig;
  /**
   * A service account's token by TokenRequest (`POST …/serviceaccounts/<name>/token`), creating the
   * namespace and the service account when missing. Valid `expirationSeconds` (default 3600 s).
   * @throws Error with the API server's message when the request fails.
   */
  serviceAccountToken(namespace: string, name: string, expirationSeconds?: number): Promise<string>;
  /**
   * Stop every process by PID (SIGTERM, SIGKILL after 5 s). The directory is removed unless `keep`
   * (then its path is where the logs are).
   */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

/** The default kube-controller-manager controllers of the test control plane. */
export const DEFAULT_CONTROLLERS = ['garbage-collector-controller', 'namespace-controller', 'statefulset-controller'];

/** The folder of the built binaries. @throws Error naming {@link BUILD_COMMAND} when they are missing. */
export function controlPlaneBinDir(binDir?: string): string {
  const dir = binDir ?? process.env.DBUPDATE_CONTROL_PLANE_BIN ?? (existsSync(join(REPO_ROOT, '.tools', 'controlplane')) ? join(REPO_ROOT, '.tools', 'controlplane') : cacheBinDir());
  const missing = ['etcd', 'kube-apiserver', 'kube-controller-manager'].filter((b) => !existsSync(join(dir, b)));
  if (missing.length) {
    throw new Error(`the real control plane is not built (${missing.join(', ')} missing in ${dir}): run \`${BUILD_COMMAND}\` (once per machine; npm test runs it)`);
  }
  return dir;
}

/**
 * Where scripts/build-control-plane.sh keeps the binaries of the pinned versions, outside the checkout:
 * `${XDG_CACHE_HOME:-~/.cache}/dbupdate/controlplane/<k8s>-etcd<etcd>` (a worktree or a fresh clone on
 * the same machine finds them there without its own `.tools` link).
 */
export function cacheBinDir(): string {
  const mod = readFileSync(join(REPO_ROOT, 'tools', 'controlplane', 'go.mod'), 'utf8');
  const kube = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(mod)?.[1];
  const etcd = /^\s*go\.etcd\.io\/etcd\/server\/v3 (v\S+)/m.exec(mod)?.[1];
  const cache = process.env.DBUPDATE_CONTROL_PLANE_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'dbupdate', 'controlplane');
  return join(cache, `${kube}-etcd${etcd}`);
}

/** A free TCP port on 127.0.0.1 (bound once and released, as envtest's addr.Suggest does). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An HTTPS GET against the control plane; resolves with status and body (never rejects on HTTP status). */
function get(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

function launch(name: string, bin: string, args: string[], logs: string): Proc {
  const out = createWriteStream(join(logs, `${name}.log`));
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, exited };
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Poll `probe` until it returns true; fail early when `proc` exits, or after `timeoutMs`. */
async function until(proc: Proc, logs: string, what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((c) => (exitCode = c));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`${proc.name} exited (code ${exitCode}) before ${what}; its log ends:\n${tail(join(logs, `${proc.name}.log`))}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms; ${proc.name}'s log ends:\n${tail(join(logs, `${proc.name}.log`))}`);
    await sleep(200);
  }
}

function kubeconfigYamlFor(server: string, caFile: string, user: string, token: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: envtest`,
    `  cluster: { server: "${server}", certificate-authority: "${caFile}" }`,
    'users:',
    `- name: ${user}`,
    `  user: { token: "${token}" }`,
    'contexts:',
    `- name: envtest`,
    `  context: { cluster: envtest, user: ${user} }`,
    'current-context: envtest',
    '',
  ].join('\n');
}

/** The audit policy: Metadata for every request, nothing for kube-controller-manager's own traffic. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: None
  users: ["${KCM_USER}", "system:apiserver"]
- level: None
  nonResourceURLs: ["/readyz*", "/livez*", "/healthz*"]
- level: Metadata
`;

/**
 * Start etcd, kube-apiserver and (unless `controllers: false`) kube-controller-manager on free loopback
 * ports, and wait for each to be ready.
 * @throws Error naming the process that failed, with the end of its log (and {@link BUILD_COMMAND} when
 *   the binaries are missing). Processes started before the failure are stopped.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const bin = controlPlaneBinDir(opts.binDir);
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'dbupdate-envtest-'));
  const timeout = opts.startTimeoutMs ?? 60_000;
  const logs = join(dir, 'logs');
  const certs = join(dir, 'certs');
  mkdirSync(logs, { recursive: true });
  mkdirSync(certs, { recursive: true });
  const procs: Proc[] = [];

  const stop = async (keep = false) => {
    for (const p of procs.slice().reverse()) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
      p.child.kill('SIGTERM');
      const killed = await Promise.race([p.exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  const onExit = () => {
    for (const p of procs) p.child.kill('SIGKILL');
  };
  process.once('exit', onExit);

  try {
    // Service-account signing key (PKCS8 private, SPKI public), as kwokctl and envtest make one.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(certs, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(certs, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const tokens = { admin: randomBytes(24).toString('hex'), bot: randomBytes(24).toString('hex'), kcm: randomBytes(24).toString('hex') };
    writeFileSync(
      join(certs, 'tokens.csv'),
      [
        `${tokens.admin},admin,uid-admin,"system:masters"`,
        `${tokens.kcm},${KCM_USER},uid-kcm,"system:masters"`,
        `${tokens.bot},${BOT_USER},uid-dbupdate-bot,"system:serviceaccounts,system:serviceaccounts:dbupdate,system:authenticated"`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'audit-policy.yaml'), AUDIT_POLICY);

    const [etcdPort, etcdPeer, port] = [await freePort(), await freePort(), await freePort()];
    const etcd = launch('etcd', join(bin, 'etcd'), [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ], logs);
    procs.push(etcd);
    await until(etcd, logs, 'etcd answered /health', timeout, async () => {
      const res = await fetch(`http://127.0.0.1:${etcdPort}/health`);
      return res.ok;
    });

    const server = `https://127.0.0.1:${port}`;
    const auditLogPath = join(dir, 'audit.log');
    const apiserver = launch('kube-apiserver', join(bin, 'kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      `--cert-dir=${certs}`,
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      '--endpoint-reconciler-type=none',
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      '--disable-admission-plugins=ServiceAccount',
      '--authorization-mode=RBAC',
      `--token-auth-file=${join(certs, 'tokens.csv')}`,
      `--service-account-issuer=${server}/`,
      `--service-account-key-file=${join(certs, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(certs, 'sa.key')}`,
      `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
      `--audit-log-path=${auditLogPath}`,
      '--audit-log-mode=blocking',
      '--audit-log-format=json',
      ...(opts.apiServerArgs ?? []),
    ], logs);
    procs.push(apiserver);
    const caFile = join(certs, 'apiserver.crt');
    await until(apiserver, logs, 'kube-apiserver answered /readyz to the admin', timeout, async () => {
      if (!existsSync(caFile)) return false;
      const res = await get(`${server}/readyz`, readFileSync(caFile, 'utf8'), tokens.admin);
      return res.status === 200;
    });

    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    const botKubeconfigPath = join(dir, 'bot.kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigYamlFor(server, caFile, 'admin', tokens.admin));
    writeFileSync(botKubeconfigPath, kubeconfigYamlFor(server, caFile, 'dbupdate', tokens.bot));
    const kcmKubeconfig = join(dir, 'kcm.kubeconfig');
    writeFileSync(kcmKubeconfig, kubeconfigYamlFor(server, caFile, 'kcm', tokens.kcm));

    const controllers = opts.controllers === undefined ? DEFAULT_CONTROLLERS : opts.controllers;
    if (controllers && controllers.length) {
      const kcm = launch('kube-controller-manager', join(bin, 'kube-controller-manager'), [
        `--kubeconfig=${kcmKubeconfig}`,
        '--leader-elect=false',
        '--use-service-account-credentials=false',
        '--secure-port=0',
        `--controllers=${controllers.join(',')}`,
        // The garbage collector and namespace controller rediscover served resources (CRDs) on this period.
        '--namespace-sync-period=10s',
      ], logs);
      procs.push(kcm);
      // Ready once its controllers started and their informers synced (it serves nothing to poll with --secure-port=0).
      await until(kcm, logs, 'kube-controller-manager started its controllers', timeout, async () => {
        const log = readFileSync(join(logs, 'kube-controller-manager.log'), 'utf8');
        return /Caches are synced/.test(log) && controllers.every((c) => !c.startsWith('garbage') || /controller="garbagecollector"/.test(log));
      });
    }

    const plane: ControlPlane = {
      server,
      dir,
      caFile,
      kubeconfigPath,
      botKubeconfigPath,
      auditLogPath,
      tokens: { admin: tokens.admin, bot: tokens.bot },
      pids: Object.fromEntries(procs.map((p) => [p.name, p.child.pid ?? 0])),
      kubeconfigYaml: (token) => kubeconfigYamlFor(server, caFile, token && token !== tokens.admin ? 'user' : 'admin', token ?? tokens.admin),
      kubeConfig(token) {
        const kc = new KubeConfig();
        kc.loadFromString(plane.kubeconfigYaml(token));
        return kc;
      },
      serviceAccountToken: (namespace, name, expirationSeconds = 3600) => serviceAccountToken(plane.kubeConfig(), namespace, name, expirationSeconds),
      async stop(o = {}) {
        process.removeListener('exit', onExit);
        await stop(o.keep);
      },
    };
    return plane;
  } catch (err) {
    process.removeListener('exit', onExit);
    await stop(true);
    throw new Error(`${(err as Error).message}\n(logs kept in ${logs})`);
  }
}

/**
 * A service account's token by TokenRequest, creating its namespace and the account when missing.
 * @throws Error with the API server's message.
 */
export async function serviceAccountToken(kc: KubeConfig, namespace: string, name: string, expirationSeconds = 3600): Promise<string> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = kc.makeApiClient(CoreV1Api);
  const ignoreExists = (err: unknown) => {
    if ((err as { code?: number }).code !== 409) throw err;
  };
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(ignoreExists);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name, namespace } } }).catch(ignoreExists);
  const tr = await core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds } } });
  if (!tr.status?.token) throw new Error(`TokenRequest for ${namespace}/${name} returned no token`);
  return tr.status.token;
}
