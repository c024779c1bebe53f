/**
 * The embedded world on a REAL kube-apiserver (issue #18 item 5): the run's shared control plane
 * (envtest/), KubeDB's CRDs and catalog, the simulated KubeDB talking to it over HTTP like any controller
 * (its webhook registered with a ValidatingWebhookConfiguration), the Slack emulator, and the bot with its
 * own identity: a service account whose token comes from TokenRequest and whose every call is authorized
 * by the real RBAC authorizer from `deploy/rbac.yaml`.
 *
 * Isolation: each world is a namespace set of its own on the shared control plane — `<id>-dbupdate` for
 * the records and the Lease, `<id>-demo` and `<id>-billing` for the seeded databases — so the test files of
 * a run share one kube-apiserver. {@link RealCluster.ns} maps a seed namespace (`demo`) to this world's.
 * Cluster-scoped objects (CRDs, catalog entries) are shared and applied idempotently; deploy/rbac.yaml's
 * cluster-scoped ClusterRole and ClusterRoleBinding get the world id as suffix.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { applyAll, parseManifests } from '../envtest/apply.js';
import { sharedControlPlane, type SharedControlPlane } from '../envtest/shared.js';
import { installKubeDBCrds, seedCluster, seedNamespace, startKubeDBSim, type KubeDBSim, type KubeDBSimOptions } from './kubedb/index.js';
import { SlackEmulator } from './slack/server.js';
import { CHANNEL, worldConfig } from './world.js';
import { Kube } from '../src/kube/client.js';
import type { Config } from '../src/policy/config.js';
import { startBot, type Bot } from '../src/bot.js';
import { createLogger } from '../src/log.js';
import type { DirectSettings } from '../src/pipeline/direct-types.js';

const DEPLOY = (name: string) => readFileSync(fileURLToPath(new URL(`../deploy/${name}`, import.meta.url)), 'utf8');

/** One world's share of the real control plane. */
export interface RealCluster {
  kind: 'real';
  /** The world id (8 hex digits): the prefix of its namespaces. */
  id: string;
  /** This world's namespace for seed namespace `name` (`demo` → `<id>-demo`). */
  ns(name: string): string;
  /** Where the bot keeps its records and Lease (`<id>-dbupdate`). */
  recordsNamespace: string;
  /** The shared control plane. */
  plane: SharedControlPlane;
  /** Admin kubeconfig and client (tests and the sim look with them). */
  kubeConfig: KubeConfig;
  kube: Kube;
  /** The bot's client: service account `<id>-dbupdate/dbupdate`, token by TokenRequest, RBAC from deploy/rbac.yaml. */
  botKube: Kube;
  botKubeConfig: KubeConfig;
  /** `system:serviceaccount:<id>-dbupdate:dbupdate`. */
  botUser: string;
  sim: KubeDBSim;
  /** Stop the simulation and delete this world's namespaces and cluster-scoped RBAC. */
  stop(): Promise<void>;
}

let shared: Promise<void> | undefined;

/** Apply KubeDB's CRDs and catalog and the record CRD once per process (idempotent across processes). */
function installShared(kc: KubeConfig): Promise<void> {
  shared ??= (async () => {
    await installKubeDBCrds(kc, { opsManager: true });
    await applyAll(kc, DEPLOY('crd-databaseupdate.yaml'));
    await applyAll(kc, DEPLOY('crd-databaseupdatebatch.yaml'));
  })();
  return shared;
}

/**
 * An RBAC manifest of deploy/ (default `rbac.yaml`; `components/read-secrets/rbac.yaml` for the opt-in
 * Secrets grant) for one world: namespaced objects into `namespace`, cluster-scoped names suffixed with
 * `-<id>` (and the ClusterRoleBinding's roleRef and subjects following), rules unchanged.
 */
export function worldRbac(id: string, namespace: string, file = 'rbac.yaml'): KubernetesObject[] {
  return parseManifests(DEPLOY(file)).map((o) => {
    const x = structuredClone(o) as KubernetesObject & { roleRef?: { kind: string; name: string }; subjects?: Array<{ kind: string; namespace?: string }> };
    if (x.kind === 'ClusterRole' || x.kind === 'ClusterRoleBinding') x.metadata!.name = `${x.metadata!.name}-${id}`;
    else x.metadata!.namespace = namespace;
    if (x.roleRef?.kind === 'ClusterRole') x.roleRef.name = `${x.roleRef.name}-${id}`;
    for (const s of x.subjects ?? []) if (s.kind === 'ServiceAccount') s.namespace = namespace;
    return x;
  });
}

/** Options of a world on the real server: the simulated KubeDB's, and `readSecrets` (also apply deploy/components/read-secrets, as an install that opts in does). */
export type RealClusterOptions = KubeDBSimOptions & { readSecrets?: boolean };

/** Start one world's cluster side on the shared control plane, and wait for its seeds to be Ready. */
export async function startRealCluster(opts: RealClusterOptions = {}): Promise<RealCluster> {
  const plane = sharedControlPlane();
  const kubeConfig = plane.kubeConfig();
  await installShared(kubeConfig);
  const id = randomBytes(4).toString('hex');
  const prefix = `w${id}-`;
  const ns = (name: string) => seedNamespace(name, { namespacePrefix: prefix });
  const recordsNamespace = ns('dbupdate');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: recordsNamespace, labels: { 'dbupdate.test/world': id } } } });
  const rbac = [...worldRbac(id, recordsNamespace), ...(opts.readSecrets ? worldRbac(id, recordsNamespace, 'components/read-secrets/rbac.yaml') : [])];
  await applyAll(kubeConfig, rbac);
  const rbacApi = kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  const token = await plane.serviceAccountToken(recordsNamespace, 'dbupdate');
  const botKubeConfig = plane.kubeConfig(token);
  await seedCluster(kubeConfig, { namespacePrefix: prefix });
  const namespaces = ['demo', 'billing'].map(ns);
  const sim = await startKubeDBSim(kubeConfig, { ...opts, namespaces });
  const stop = async () => {
    await sim.stop();
    // Namespaces go Terminating and are emptied by kube-controller-manager's namespace controller.
    await Promise.all([recordsNamespace, ...namespaces].map((n) => core.deleteNamespace({ name: n }).catch(() => undefined)));
    // The world's cluster-scoped RBAC (its names carry the world id).
    await Promise.all(
      rbac.map((o) =>
        o.kind === 'ClusterRole'
          ? rbacApi.deleteClusterRole({ name: o.metadata!.name! }).catch(() => undefined)
          : o.kind === 'ClusterRoleBinding'
            ? rbacApi.deleteClusterRoleBinding({ name: o.metadata!.name! }).catch(() => undefined)
            : undefined,
      ),
    );
  };
  try {
    await sim.settled();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    kind: 'real',
    id,
    ns,
    recordsNamespace,
    plane,
    kubeConfig,
    kube: new Kube(kubeConfig, 'real'),
    botKube: new Kube(botKubeConfig, 'real'),
    botKubeConfig,
    botUser: `system:serviceaccount:${recordsNamespace}:dbupdate`,
    sim,
    stop,
  };
}

/** Everything on the real control plane: one world's cluster side, Slack, and one bot. */
export interface RealWorld {
  cluster: RealCluster;
  slack: SlackEmulator;
  bot: Bot;
  config: Config;
  log: Logger;
  /** Start another bot instance against the same cluster and Slack (replica tests). */
  startBot(): Promise<Bot>;
  stop(): Promise<void>;
}

/**
 * Start a world on the real control plane: its cluster side, the Slack emulator, and the bot configured
 * with this world's namespaces (records in `<id>-dbupdate`, default namespace `<id>-demo`).
 */
export async function startRealWorld(
  opts: {
    sim?: RealClusterOptions;
    config?: Partial<Record<string, unknown>>;
    /** Configuration that names this world's namespaces (known once the cluster side exists), over `config`. */
    configFor?: (cluster: RealCluster) => Partial<Record<string, unknown>>;
    log?: Logger;
    direct?: DirectSettings;
    slowRetryMs?: number;
    batchEditMs?: number;
  } = {},
): Promise<RealWorld> {
  const cluster = await startRealCluster(opts.sim);
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  const config = worldConfig({ clusterName: 'real', recordsNamespace: cluster.recordsNamespace, defaultNamespace: cluster.ns('demo'), ...opts.config, ...opts.configFor?.(cluster) });
  const log = opts.log ?? createLogger(process.env.LOG_LEVEL ?? 'silent');
  const bots: Bot[] = [];
  const launch = async () => {
    const bot = await startBot({
      kube: cluster.botKube,
      config,
      log,
      direct: opts.direct,
      slowRetryMs: opts.slowRetryMs,
      batchEditMs: opts.batchEditMs,
      slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl, retries: 2 },
    });
    bots.push(bot);
    return bot;
  };
  const bot = await launch();
  return {
    cluster,
    slack,
    bot,
    config,
    log,
    startBot: launch,
    async stop() {
      for (const b of bots) await b.stop();
      await slack.stop();
      await cluster.stop();
    },
  };
}
