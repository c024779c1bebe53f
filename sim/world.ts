/**
 * The embedded defaults in one call: the Kubernetes API emulator with simulated KubeDB (provisioner,
 * workload controller, optionally Ops Manager) and seed data, the Slack emulator, and a bot wired to
 * both through the real `@kubernetes/client-node` and the real Bolt app. Used by `npm run demo`, the
 * tests and the benchmarks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import type { Logger } from 'pino';
import { Store } from './kube/store.js';
import { KubeApiServer, ADMIN_USER } from './kube/server.js';
import type { KubeObject } from './kube/api.js';
import { applyManifests } from './kube/apply.js';
import { serviceAccountUser } from './kube/rbac.js';
import { listenInPods } from './kube/portforward.js';
import { CRD_GVR } from './kubedb/common.js';
import { kubedbCrds, seedCatalog, seedCluster, startKubeDBSim, type KubeDBSim, type KubeDBSimOptions } from './kubedb/index.js';
import { CATALOG_GROUP, CATALOG_VERSION, ENGINES } from '../src/engines/table.js';

/** The catalog resource (plural) of a `<Kind>Version` kind. */
function catalogPlural(kind: string): string {
  const e = ENGINES.find((x) => x.catalogKind === kind);
  if (!e) throw new Error(`no engine has the catalog kind ${kind}`);
  return e.catalogPlural;
}
import { SlackEmulator } from './slack/server.js';
import { Kube } from '../src/kube/client.js';
import { validateConfig, type Config } from '../src/policy/config.js';
import { startBot, type Bot } from '../src/bot.js';
import { createLogger } from '../src/log.js';
import type { DirectSettings } from '../src/pipeline/direct-types.js';

const NS_GVR = { group: '', version: 'v1', plural: 'namespaces' };

/** The seeded Slack users of the emulator, by role in the demo and tests. */
export const USERS = { requester: 'U_ALICE', approver: 'U_BOB', approver2: 'U_CAROL', outsider: 'U_DAVE' } as const;
/** The channel the demo and tests type commands in. */
export const CHANNEL = 'C_DBOPS';

/** Load the project's own CRD manifest from `deploy/`. */
export function loadRecordCrd(): KubeObject {
  const path = fileURLToPath(new URL('../deploy/crd-databaseupdate.yaml', import.meta.url));
  return parseYaml(readFileSync(path, 'utf8')) as KubeObject;
}

/** Load the fleet request's CRD (`deploy/crd-databaseupdatebatch.yaml`). */
export function loadBatchCrd(): KubeObject {
  const path = fileURLToPath(new URL('../deploy/crd-databaseupdatebatch.yaml', import.meta.url));
  return parseYaml(readFileSync(path, 'utf8')) as KubeObject;
}

/** A cluster emulator with KubeDB simulated and seeded, serving HTTP on 127.0.0.1. */
export interface EmbeddedCluster {
  store: Store;
  server: KubeApiServer;
  /** The simulated KubeDB, talking to the emulator over HTTP like any controller. */
  sim: KubeDBSim;
  /** An admin kubeconfig of the emulator (what the simulation and seeding use). */
  kubeConfig: KubeConfig;
  /** An admin client of the emulator (tests and the demo look with it). */
  kube: Kube;
  /**
   * The client the bot uses: the `dbupdate` service account, authorized by RBAC from `deploy/rbac.yaml`
   * when RBAC is on (the default), so a call the manifests do not grant fails with 403.
   */
  botKube: Kube;
  stop(): Promise<void>;
}

/** The bearer token of the bot's service account in the emulator. */
export const BOT_SA_TOKEN = 'dbupdate-sa-token';

function loadDeployFile(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../deploy/${name}`, import.meta.url)), 'utf8');
}

/**
 * Options of the embedded cluster: the simulated KubeDB's, plus `rbac` (enforce the bot's RBAC from
 * `deploy/rbac.yaml`, default on) and `readSecrets` (also grant the opt-in component
 * `deploy/components/read-secrets`, as an install that enables it does; default off, as the default install).
 */
export type EmbeddedClusterOptions = KubeDBSimOptions & { recordsNamespace?: string; port?: number; rbac?: boolean; readSecrets?: boolean };

/**
 * Start the cluster emulator, then over HTTP install KubeDB's CRDs, seed, start the simulated KubeDB (its
 * webhook registered with a ValidatingWebhookConfiguration the emulator calls) and wait for the seeds to be
 * Ready. The project's own CRD and the RBAC manifests are loaded into the store before it serves.
 */
export async function startEmbeddedCluster(opts: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
  const store = new Store();
  store.create(CRD_GVR, loadRecordCrd());
  store.create(CRD_GVR, loadBatchCrd());
  // What KubeDB's installer puts in a cluster (its CRDs and catalog) is there before the emulator serves, as
  // in an etcd restored from a snapshot; everything the simulation does after goes over HTTP.
  for (const crd of kubedbCrds({ opsManager: opts.opsManager ?? true })) store.create(CRD_GVR, crd);
  for (const entry of seedCatalog()) store.create({ group: CATALOG_GROUP, version: CATALOG_VERSION, plural: catalogPlural(entry.kind) }, entry);
  const ns = opts.recordsNamespace ?? 'dbupdate';
  if (!store.tryGet(NS_GVR, undefined, ns)) store.create(NS_GVR, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  const rbac = opts.rbac ?? true;
  if (rbac) applyManifests(store, loadDeployFile('rbac.yaml'));
  if (rbac && opts.readSecrets) applyManifests(store, loadDeployFile('components/read-secrets/rbac.yaml'));
  const server = await KubeApiServer.start({
    store,
    port: opts.port,
    rbac,
    users: { [BOT_SA_TOKEN]: serviceAccountUser(ns, 'dbupdate') },
    // kubectl sends no token to a plain-http server: let it in as the admin, as `npm run sim` promises.
    unauthenticatedUser: ADMIN_USER,
  });
  const client = (token?: string) => {
    const kc = new KubeConfig();
    kc.loadFromString(server.kubeconfigYaml(token ? { token } : {}));
    return new Kube(kc, 'sim');
  };
  const kube = client();
  const botKube = rbac ? client(BOT_SA_TOKEN) : kube;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(server.kubeconfigYaml({}));
  let sim: KubeDBSim;
  try {
    await seedCluster(kubeConfig, { catalog: false });
    sim = await startKubeDBSim(kubeConfig, { ...opts, podNetwork: (listener) => listenInPods(store, listener) });
  } catch (err) {
    await server.stop();
    throw err;
  }
  try {
    await sim.settled();
  } catch (err) {
    await sim.stop();
    await server.stop();
    throw err;
  }
  return {
    store,
    server,
    sim,
    kubeConfig,
    kube,
    botKube,
    async stop() {
      await sim.stop();
      await server.stop();
    },
  };
}

/** Everything: cluster, Slack, and one bot. */
export interface World {
  cluster: EmbeddedCluster;
  slack: SlackEmulator;
  bot: Bot;
  config: Config;
  log: Logger;
  /** Start another bot instance against the same cluster and Slack (replica tests). */
  startBot(): Promise<Bot>;
  stop(): Promise<void>;
}

/** The embedded world's configuration as written in a file: bob and carol approve, one approval needed. */
export const WORLD_CONFIG_INPUT = {
  clusterName: 'sim',
  recordsNamespace: 'dbupdate',
  defaultNamespace: 'demo',
  approvers: [USERS.approver, USERS.approver2],
  approvalsRequired: 1,
  opsRequestTimeout: '5m',
};

/** Default configuration of the embedded world ({@link WORLD_CONFIG_INPUT}, validated), with overrides. */
export function worldConfig(over: Partial<Record<string, unknown>> = {}): Config {
  return validateConfig({ ...WORLD_CONFIG_INPUT, ...over });
}

/** Start the whole embedded world. */
export async function startWorld(
  opts: { sim?: EmbeddedClusterOptions; config?: Partial<Record<string, unknown>>; log?: Logger; direct?: DirectSettings; slowRetryMs?: number; batchEditMs?: number } = {},
): Promise<World> {
  const cluster = await startEmbeddedCluster(opts.sim);
  const slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  const config = worldConfig(opts.config);
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
