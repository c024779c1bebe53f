/**
 * Simulated pg-coordinator, the sidecar of every KubeDB Postgres pod that elects the primary over raft and
 * fails over when it goes away, with its HTTP key-value API on the coordinator's client port.
 *
 * Facts followed (kubedb/apimachinery; kubedb/postgres provisioner):
 * - container `pg-coordinator` with ports `coordinator` 2380 (raft peers) and `coordinatclient` 2379 (the
 *   HTTP API) (`apis/kubedb/constants.go` `PostgresCoordinatorContainerName`, `PostgresCoordinatorPort`,
 *   `PostgresCoordinatorClientPort`; kubedb/postgres `pkg/controller/statefulset.go` `upsertPort`); it
 *   gets `POSTGRES_USER`/`POSTGRES_PASSWORD` from the database's auth Secret (keys `username`, `password`;
 *   `upsertEnv`), named `spec.authSecret.name` or `<db>-auth` (`apis/kubedb/v1/postgres_helpers.go`
 *   `GetAuthSecretName`). The simulated provisioner writes no Secret, so this module creates `<db>-auth`
 *   (type `kubernetes.io/basic-auth`, user `postgres`) for a Postgres that has none, as KubeDB's does.
 * - the HTTP API (`pkg/utils/raft/runtime/httpapi.go`, KubeDB's raft coordinator runtime; the client Ops
 *   Manager uses is `vendor/go.etcd.io/etcd/raft/v3/raft_client.go` `SetValueForCoordinator`): every
 *   request is checked against the credentials first (HTTP basic auth; a mismatch answers 401 with the
 *   JSON-encoded Go error, `{}`); `POST /set` `{"key","value"}` proposes the pair and answers 200
 *   `proposed key saved. <key>:<value>`; `GET /get` with body `{"key"}` answers 200 `{"key","value"}` or
 *   404 `key not found`; a wrong method 405 `Method not allowed` with `Allow`; a missing key/value 400;
 *   an undecodable body 400 `Failed on POST`/`Failed on GET`; another path 404 `not found`.
 * - the raft key `Coordinator/Status` = `Pause` pauses the failover, `Resume` (or
 *   `NonTransferableResume`) resumes it (`PostgresPgCoordinatorStatus*`, "to pause the failover for
 *   postgres. this is helpful for ops request").
 * The credentials a coordinator checks are the Secret's when its pod started (environment variables from
 * a Secret are resolved at container start), so a Secret changed afterwards no longer matches.
 * Simplified: the key-value store is one per database (raft replicates it to every member and keeps it on
 * the data volume, so it survives a pod restart); it answers on any pod whose `pg-coordinator` container
 * runs (a follower forwards proposals to the leader in etcd's raft). Failover: when the primary pod
 * (`kubedb.com/role=primary`) is deleted and the failover is not paused, the Ready standby with the lowest
 * ordinal is promoted (its role label set to `primary`), and the old primary comes back as `standby`;
 * paused, the roles stay. Each promotion is recorded in {@link PgCoordinatorSim.failovers}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { KubeObject, SharedInformers, SimClient } from './client.js';
import { isAlreadyExists } from './client.js';
import { POD_GVR, ROLE_LABEL, SECRET_GVR } from './common.js';
import { podReady } from './pods.js';

/**
 * How processes in pods are reached: given what listens (for a pod and a port, the handler of a new
 * connection, or undefined when nothing listens), the host registers it with its pod network and returns
 * an unregister function. The emulator's port-forward serves it (`listenInPods` of sim/kube/portforward.ts);
 * against a real API server there is no kubelet to forward to, and the coordinators' HTTP API is not
 * reachable (the failover and the auth Secrets still work).
 */
export type PodNetwork = (listener: (pod: KubeObject, port: number) => ((socket: Duplex) => void) | undefined) => () => void;

/** Container name of the coordinator (`PostgresCoordinatorContainerName`). */
export const PG_COORDINATOR_CONTAINER = 'pg-coordinator';
/** Port of the coordinator's HTTP API (`PostgresCoordinatorClientPort`). */
export const PG_COORDINATOR_CLIENT_PORT = 2379;
/** The raft key of the failover switch (`PostgresPgCoordinatorStatus`). */
export const COORDINATOR_STATUS_KEY = 'Coordinator/Status';

const PG_NAME = 'postgreses.kubedb.com';
const PG_GVR = { group: 'kubedb.com', version: 'v1', plural: 'postgreses' };

/** One failover made by the simulated coordinator. */
export interface Failover {
  namespace: string;
  database: string;
  /** The pod that was primary (and went away). */
  from: string;
  /** The standby promoted. */
  to: string;
  at: string;
}

/** A running pg-coordinator simulation. */
export interface PgCoordinatorSim {
  /** Every failover so far, oldest first. */
  readonly failovers: Failover[];
  /** Primary pods that went away while the failover was paused (so no standby was promoted). */
  readonly heldByPause: Array<{ namespace: string; database: string; pod: string; at: string }>;
  /** The raft key-value store of database `namespace/name` (a copy). */
  kv(namespace: string, name: string): Record<string, string>;
  stop(): void;
}

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

function podDatabase(pod: KubeObject): string | undefined {
  const l = pod.metadata.labels ?? {};
  return l['app.kubernetes.io/name'] === PG_NAME ? l['app.kubernetes.io/instance'] : undefined;
}

function coordinatorRunning(pod: KubeObject): boolean {
  if ((pod.status as { phase?: string } | undefined)?.phase !== 'Running' || pod.metadata.deletionTimestamp) return false;
  const cs = ((pod.status as { containerStatuses?: Array<{ name: string; state?: { running?: unknown } }> })?.containerStatuses ?? []);
  return cs.some((c) => c.name === PG_COORDINATOR_CONTAINER && c.state?.running !== undefined);
}

/** Go's `http.Error`: plain text, `nosniff`, the message and a newline. */
function httpError(res: ServerResponse, message: string, code: number, allow?: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...(allow ? { Allow: allow } : {}) });
  res.end(`${message}\n`);
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Start the simulated coordinators of every Postgres the informers see (auth Secrets, HTTP API through
 * `podNetwork` when given, failover on the primary pod's deletion).
 * @param postgres whether the Postgres CRD is served (no auth Secrets otherwise).
 */
export function startPgCoordinators(client: SimClient, informers: SharedInformers, opts: { postgres: boolean; podNetwork?: PodNetwork }): PgCoordinatorSim {
  const podInformer = informers.get(POD_GVR);
  const pgInformer = opts.postgres ? informers.get(PG_GVR) : undefined;
  /** The Secrets of the simulation's namespaces (a coordinator reads its Secret at container start). */
  const secretInformer = informers.get(SECRET_GVR);
  const kvs = new Map<string, Map<string, string>>();
  const servers = new Map<string, Server>();
  const failovers: Failover[] = [];
  const heldByPause: PgCoordinatorSim['heldByPause'] = [];
  const kvOf = (ns: string, db: string) => {
    const k = `${ns}/${db}`;
    let m = kvs.get(k);
    if (!m) kvs.set(k, (m = new Map()));
    return m;
  };

  const secretName = (ns: string, db: string): string => {
    const obj = pgInformer?.get(ns, db);
    return (obj?.spec as { authSecret?: { name?: string } } | undefined)?.authSecret?.name || `${db}-auth`;
  };

  const ensureSecret = async (db: KubeObject): Promise<void> => {
    const ns = db.metadata.namespace!;
    const name = secretName(ns, db.metadata.name);
    await secretInformer.synced;
    if (secretInformer.get(ns, name)) return;
    try {
      await client.create(SECRET_GVR, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/basic-auth',
        metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/instance': db.metadata.name, 'app.kubernetes.io/managed-by': 'kubedb.com', 'app.kubernetes.io/name': PG_NAME } },
        data: { username: b64('postgres'), password: b64(randomBytes(12).toString('base64url')) },
      } as KubeObject);
    } catch (err) {
      // created meanwhile, or the namespace is going away
      if (!isAlreadyExists(err)) return;
    }
  };

  /**
   * The credentials each coordinator runs with, by pod uid: `POSTGRES_USER`/`POSTGRES_PASSWORD` are
   * resolved from the Secret when the container starts, so a Secret changed later is not what it checks.
   */
  const startCreds = new Map<string, { user: string; pass: string } | undefined>();
  const credsNow = (ns: string, db: string) => {
    const secret = secretInformer.get(ns, secretName(ns, db));
    if (!secret) return undefined;
    const data = (secret.data ?? {}) as Record<string, string>;
    return { user: Buffer.from(data.username ?? '', 'base64').toString('utf8'), pass: Buffer.from(data.password ?? '', 'base64').toString('utf8') };
  };
  const noteStart = (pod: KubeObject, db: string) => {
    if (pod.metadata.uid && coordinatorRunning(pod) && !startCreds.has(pod.metadata.uid)) startCreds.set(pod.metadata.uid, credsNow(pod.metadata.namespace!, db));
  };

  /** Whether the request carries the credentials the pod's coordinator started with (HTTP basic auth). */
  const authorized = (req: IncomingMessage, pod: KubeObject, db: string): boolean => {
    noteStart(pod, db);
    const creds = startCreds.get(pod.metadata.uid ?? '');
    const m = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!m || !creds) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i >= 0 && decoded.slice(0, i) === creds.user && decoded.slice(i + 1) === creds.pass;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, pod: KubeObject, db: string): Promise<void> => {
    const ns = pod.metadata.namespace!;
    const text = await body(req);
    if (!authorized(req, pod, db)) {
      res.writeHead(401);
      res.end('{}\n');
      return;
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.trim().replace(/^\/+|\/+$/g, '');
    const kv = kvOf(ns, db);
    const decode = (what: string): { key?: unknown; value?: unknown } | undefined => {
      try {
        const v = JSON.parse(text) as unknown;
        return v && typeof v === 'object' ? (v as { key?: unknown; value?: unknown }) : v === null ? {} : undefined;
      } catch {
        httpError(res, `Failed on ${what}`, 400);
        return undefined;
      }
    };
    if (path === 'set') {
      if (req.method !== 'POST') return httpError(res, 'Method not allowed', 405, 'POST');
      const kvIn = decode('POST');
      if (!kvIn) return res.headersSent ? undefined : httpError(res, 'Failed on POST', 400);
      if (typeof kvIn.key !== 'string' || typeof kvIn.value !== 'string') return httpError(res, "key or value can't be empty", 400);
      kv.set(kvIn.key, kvIn.value);
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`proposed key saved. ${kvIn.key}:${kvIn.value}`);
      return;
    }
    if (path === 'get') {
      if (req.method !== 'GET') return httpError(res, 'Method not allowed', 405, 'GET');
      const kvIn = decode('GET');
      if (!kvIn) return res.headersSent ? undefined : httpError(res, 'Failed on GET', 400);
      if (typeof kvIn.key !== 'string') return httpError(res, "key can't be empty", 400);
      if (!kv.has(kvIn.key)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('key not found');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ key: kvIn.key, value: kv.get(kvIn.key) })}\n`);
      return;
    }
    httpError(res, 'not found', 404);
  };

  /** One HTTP server (not listening: connections come through port-forwards) per pod. */
  const serverFor = (pod: KubeObject, db: string): Server => {
    const k = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    let s = servers.get(k);
    if (!s) {
      s = createServer((req, res) => {
        handle(req, res, pod, db).catch((err) => {
          if (!res.headersSent) httpError(res, String(err), 500);
          else res.destroy();
        });
      });
      servers.set(k, s);
    }
    return s;
  };

  const unlisten = opts.podNetwork
    ? opts.podNetwork((pod, port) => {
        const db = podDatabase(pod);
        if (!db || port !== PG_COORDINATOR_CLIENT_PORT || !coordinatorRunning(pod)) return undefined;
        const server = serverFor(pod, db);
        return (socket) => server.emit('connection', socket);
      })
    : () => undefined;

  const pods = (ns: string, db: string) =>
    podInformer.list(ns).filter((p) => p.metadata.labels?.['app.kubernetes.io/instance'] === db && p.metadata.labels?.['app.kubernetes.io/name'] === PG_NAME);
  /** Set a pod's role label, then wait (≤ 2 s) until the pod cache shows it, so the next event reads it. */
  const setRole = async (ns: string, name: string, role: string): Promise<void> => {
    const written = await client.mutate(POD_GVR, ns, name, (p) => {
      if (p.metadata.labels?.[ROLE_LABEL] === role) return false;
      p.metadata.labels = { ...(p.metadata.labels ?? {}), [ROLE_LABEL]: role };
    });
    for (let i = 0; written && i < 200; i++) {
      const cached = podInformer.get(ns, name);
      if (!cached || cached.metadata.uid !== written.metadata.uid || cached.metadata.labels?.[ROLE_LABEL] === role) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const ordinal = (name: string) => Number(/-(\d+)$/.exec(name)?.[1] ?? 1e9);

  /** Pod events, one at a time in arrival order (a failover reads the roles the previous one set). */
  let chain: Promise<void> = Promise.resolve();
  const onPod = (type: 'add' | 'update' | 'delete', pod: KubeObject) => {
    chain = chain.then(() => handlePod(type, pod)).catch(() => undefined);
  };
  const handlePod = async (type: 'add' | 'update' | 'delete', pod: KubeObject): Promise<void> => {
    const db = podDatabase(pod);
    const ns = pod.metadata.namespace!;
    if (!db) return;
    if (type === 'delete') {
      startCreds.delete(pod.metadata.uid ?? '');
      servers.get(pod.metadata.uid ?? '')?.close();
      servers.delete(pod.metadata.uid ?? '');
    } else noteStart(pod, db);
    if (type === 'delete' && pod.metadata.labels?.[ROLE_LABEL] === 'primary') {
      if (kvOf(ns, db).get(COORDINATOR_STATUS_KEY) === 'Pause') {
        heldByPause.push({ namespace: ns, database: db, pod: pod.metadata.name, at: new Date().toISOString() });
        return;
      }
      const next = pods(ns, db)
        .filter((p) => p.metadata.name !== pod.metadata.name && p.metadata.labels?.[ROLE_LABEL] !== 'primary' && podReady(p) && !p.metadata.deletionTimestamp)
        .sort((a, b) => ordinal(a.metadata.name) - ordinal(b.metadata.name))[0];
      if (!next) return;
      await setRole(ns, next.metadata.name, 'primary');
      failovers.push({ namespace: ns, database: db, from: pod.metadata.name, to: next.metadata.name, at: new Date().toISOString() });
      return;
    }
    if (type === 'add') {
      const other = pods(ns, db).find((p) => p.metadata.name !== pod.metadata.name && p.metadata.labels?.[ROLE_LABEL] === 'primary');
      const role = pod.metadata.labels?.[ROLE_LABEL];
      // The old primary comes back while another pod was promoted: it rejoins as a standby.
      if (role === 'primary' && other) await setRole(ns, pod.metadata.name, 'standby');
      // The primary held by the pause comes back: still the primary (no one took over).
      const held = heldByPause.filter((h) => h.namespace === ns && h.database === db).at(-1);
      if (role !== 'primary' && !other && held?.pod === pod.metadata.name) await setRole(ns, pod.metadata.name, 'primary');
    }
  };

  const stops: Array<() => void> = [unlisten, podInformer.on(onPod)];
  if (pgInformer) {
    stops.push(pgInformer.on((type, db) => {
      if (type !== 'delete') ensureSecret(db).catch(() => undefined);
    }));
    void pgInformer.synced.then(() => pgInformer.list().forEach((db) => ensureSecret(db).catch(() => undefined)));
  }
  return {
    failovers,
    heldByPause,
    kv(namespace, name) {
      return Object.fromEntries(kvOf(namespace, name));
    },
    stop() {
      for (const s of stops.splice(0)) s();
      for (const s of servers.values()) s.close();
    },
  };
}
