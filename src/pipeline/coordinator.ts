/**
 * Pausing Postgres' failover while the direct pipeline restarts pods, as KubeDB Ops Manager does before
 * an UpdateVersion (ops condition `PausePgCoordinatorBeforeUpdate`, kubedb/apimachinery
 * `apis/ops/v1alpha1/constant.go`).
 *
 * Facts (kubedb/apimachinery unless named):
 * - every Postgres pod runs the sidecar `pg-coordinator` (`apis/kubedb/constants.go`
 *   `PostgresCoordinatorContainerName`); its HTTP API listens on the client port 2379, container port
 *   named `coordinatclient` (`PostgresCoordinatorClientPort`, `PostgresCoordinatorClientPortName`;
 *   kubedb/postgres `pkg/controller/statefulset.go` `upsertPort`);
 * - failover is paused by the raft key `Coordinator/Status` = `Pause` and resumed by `Resume`
 *   (`PostgresPgCoordinatorStatus`, `PostgresPgCoordinatorStatusPause`/`…Resume`; Ops Manager's
 *   `NonTransferableResume` additionally pins the current primary, which the bot does not want);
 * - the request (`vendor/go.etcd.io/etcd/raft/v3/raft_client.go` `SetValueForCoordinator` /
 *   `GetValueForCoordinator`, the client Ops Manager uses): `POST /set` with JSON `{"key","value"}`,
 *   `GET /get` with JSON body `{"key"}` (answer `{"key","value"}`, or 404 `key not found`), both with
 *   `Content-Type: application/json; charset=UTF-8` and HTTP basic auth with the database's
 *   `POSTGRES_USER`/`POSTGRES_PASSWORD` — the auth Secret's `username`/`password` (kubedb/postgres
 *   `upsertEnv`), Secret `spec.authSecret.name` or `<db>-auth` (`apis/kubedb/v1/postgres_helpers.go`
 *   `GetAuthSecretName`); Ops Manager addresses the primary Service (`PRIMARY_HOST`), i.e. the primary
 *   pod, whose coordinator is the raft leader; the server (`pkg/utils/raft/runtime/httpapi.go`) checks the
 *   credentials first (401) and answers a set with 200 `proposed key saved. <key>:<value>` (optimistic:
 *   raft applies it after), hence the read back.
 *
 * The bot is outside the cluster network, so it reaches the coordinator through the API server: the
 * pod's `portforward` subresource over WebSocket (client-node's `PortForward`, `v4.channel.k8s.io`), and
 * speaks HTTP over the forwarded stream with Node's `http` client. Not the `proxy` subresource: the API
 * server's authentication filter strips the `Authorization` header before proxying, so basic auth cannot
 * pass through it. RBAC: `pods/portforward` `get` and `create` (Kubernetes ≥ 1.35 checks `create` on the
 * WebSocket upgrade too, kubernetes/kubernetes#134577), `secrets` `get`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { PortForward, type KubeConfig } from '@kubernetes/client-node';
// Not re-exported by the package index; its socket factory is the documented way to build the WebSocket.
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import WebSocket from 'ws';
import pRetry from 'p-retry';
import type { Kube } from '../kube/client.js';
import { statusMessage, isFenced } from '../kube/errors.js';
import { ALWAYS_HELD, assertHeld, type Fence } from '../kube/fence.js';
import type { Engine } from '../engines/table.js';

/** Container name of Postgres' coordinator. */
export const PG_COORDINATOR_CONTAINER = 'pg-coordinator';
/** The coordinator's HTTP port and its container port name. */
export const COORDINATOR_CLIENT_PORT = 2379;
export const COORDINATOR_CLIENT_PORT_NAME = 'coordinatclient';
/** The raft key of the failover switch and its values. */
export const COORDINATOR_STATUS_KEY = 'Coordinator/Status';
export const COORDINATOR_PAUSE = 'Pause';
export const COORDINATOR_RESUME = 'Resume';
/** Time limit of one coordinator call (port-forward, request, answer), ms; Ops Manager's client uses 3 s. */
export const COORDINATOR_TIMEOUT_MS = 10_000;

/** The database's credentials for the coordinator. */
export interface Credentials {
  username: string;
  password: string;
  /** `namespace/name` of the Secret they come from (for messages). */
  secret: string;
}

/** An HTTP request to the coordinator. */
export interface CoordinatorRequest {
  method: 'GET' | 'POST';
  path: '/set' | '/get';
  /** JSON body. */
  body: string;
}

/**
 * Why a coordinator call failed. `retryable`: worth another attempt (API server 429/5xx, pod restarting,
 * nothing listening yet, timeouts). `sent`: the request may have reached the coordinator (so a pause may
 * have been applied and must be undone).
 */
export class CoordinatorError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly retryable: boolean,
    readonly sent: boolean,
  ) {
    super(message);
    this.name = 'CoordinatorError';
  }
}

/**
 * The fence of a leader's {@link Kube} (`Kube.fenced`), {@link ALWAYS_HELD} when unfenced. The port-forward
 * is a WebSocket that client-node opens outside the API clients' middleware (where the fence is checked
 * for every write), so the coordinator calls check it themselves. `Kube` keeps the fence in its private
 * options (src/kube/client.ts); this reads it there rather than changing that file's interface.
 */
export function fenceOf(kube: Kube): Fence {
  return (kube['opts'] as { fence?: Fence }).fence ?? ALWAYS_HELD;
}

// ── pure ────────────────────────────────────────────────────────────────────────────────────────────

/** `POST /set {"key","value"}`. */
export function setRequest(key: string, value: string): CoordinatorRequest {
  return { method: 'POST', path: '/set', body: JSON.stringify({ key, value }) };
}

/** `GET /get {"key"}`. */
export function getRequest(key: string): CoordinatorRequest {
  return { method: 'GET', path: '/get', body: JSON.stringify({ key }) };
}

/** The headers of a coordinator request: JSON, basic auth, one request per connection. */
export function requestHeaders(req: CoordinatorRequest, creds: Pick<Credentials, 'username' | 'password'>): Record<string, string> {
  return {
    'Content-Type': 'application/json; charset=UTF-8',
    Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`, 'utf8').toString('base64')}`,
    'Content-Length': String(Buffer.byteLength(req.body)),
    Connection: 'close',
  };
}

/** pg-coordinator's whole body of a 404 `/get` answer for a key that is not set (a protocol token, not an error text). */
export const KEY_NOT_FOUND = 'key not found';

/** The value of a `/get` answer: a string, or undefined for 404 {@link KEY_NOT_FOUND}. @throws CoordinatorError for other answers. */
export function parseGetAnswer(status: number, body: string): string | undefined {
  if (status === 404 && body.trim() === KEY_NOT_FOUND) return undefined;
  if (status !== 200) throw answerError(status, body, false);
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new CoordinatorError('BadAnswer', `pg-coordinator answered /get with something that is not JSON: ${body.slice(0, 200)}`, false, false);
  }
  const value = (v as { value?: unknown } | null)?.value;
  if (typeof value !== 'string') throw new CoordinatorError('BadAnswer', `pg-coordinator answered /get without a value: ${body.slice(0, 200)}`, false, false);
  return value;
}

/** The error for a non-success answer of the coordinator. */
export function answerError(status: number, body: string, sent: boolean): CoordinatorError {
  if (status === 401) {
    return new CoordinatorError('CoordinatorUnauthorized', 'pg-coordinator refused the credentials (HTTP 401): the auth Secret does not hold the user and password the database runs with', false, false);
  }
  return new CoordinatorError('CoordinatorError', `pg-coordinator answered HTTP ${status}: ${body.trim().slice(0, 200)}`, status >= 500, sent && status >= 500);
}

/** Whether the workload runs Postgres' coordinator and has standbys that could take over (more than one replica). */
export function needsFailoverPause(engine: Engine, containers: Array<{ name: string }> | undefined, replicas: number): boolean {
  return engine.kind === 'Postgres' && replicas > 1 && (containers ?? []).some((c) => c.name === PG_COORDINATOR_CONTAINER);
}

/** The coordinator's HTTP port from the template's containers (port `coordinatclient`), default 2379. */
export function coordinatorPort(containers: Array<{ name: string; ports?: Array<{ name?: string; containerPort?: number }> }> | undefined): number {
  const c = (containers ?? []).find((x) => x.name === PG_COORDINATOR_CONTAINER);
  return c?.ports?.find((p) => p.name === COORDINATOR_CLIENT_PORT_NAME)?.containerPort ?? COORDINATOR_CLIENT_PORT;
}

/** The auth Secret's name of a database (`spec.authSecret.name`, else `<db>-auth`). */
export function authSecretName(db: { metadata: { name: string }; spec?: unknown }): string {
  return (db.spec as { authSecret?: { name?: string } } | undefined)?.authSecret?.name || `${db.metadata.name}-auth`;
}

/** A shell command that sets the failover switch by hand (for a message when the bot could not). */
export function manualCommand(namespace: string, pod: string, port: number, secret: string, value: string): string {
  return (
    `kubectl port-forward -n ${namespace} pod/${pod} ${port} & ` +
    `curl -u "$(kubectl get secret -n ${namespace} ${secret} -o jsonpath='{.data.username}' | base64 -d):$(kubectl get secret -n ${namespace} ${secret} -o jsonpath='{.data.password}' | base64 -d)" ` +
    `-H 'Content-Type: application/json' -X POST localhost:${port}/set -d '{"key":"${COORDINATOR_STATUS_KEY}","value":"${value}"}'`
  );
}

// ── I/O ─────────────────────────────────────────────────────────────────────────────────────────────

/**
 * Read the database's credentials from its auth Secret.
 * @throws CoordinatorError `AuthSecretNotFound` / `AuthSecretForbidden` / `AuthSecretInvalid`; retryable API errors (429, 5xx) as such.
 */
export async function readCredentials(kube: Kube, namespace: string, db: { metadata: { name: string }; spec?: unknown }): Promise<Credentials> {
  const name = authSecretName(db);
  let secret: { data?: Record<string, string> };
  try {
    secret = await kube.core.readNamespacedSecret({ name, namespace });
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === 404) throw new CoordinatorError('AuthSecretNotFound', `the database's auth Secret ${namespace}/${name} does not exist`, false, false);
    if (code === 403) throw new CoordinatorError('AuthSecretForbidden', `the bot may not read the auth Secret ${namespace}/${name} (RBAC \`get\` on \`secrets\`): ${statusMessage(err)}`, false, false);
    throw new CoordinatorError('AuthSecretUnreadable', `reading the auth Secret ${namespace}/${name} failed: ${statusMessage(err)}`, code === undefined || code === 429 || code >= 500, false);
  }
  const dec = (k: string) => (secret.data?.[k] !== undefined ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined);
  const username = dec('username');
  const password = dec('password');
  if (username === undefined || password === undefined) {
    throw new CoordinatorError('AuthSecretInvalid', `the auth Secret ${namespace}/${name} has no \`username\`/\`password\` keys`, false, false);
  }
  return { username, password, secret: `${namespace}/${name}` };
}

/** What the API server answered instead of upgrading (the Status message when it is one). */
function upgradeRefusal(status: number, body: string, pod: string, port: number): CoordinatorError {
  let message = body.trim();
  try {
    const s = JSON.parse(body) as { kind?: string; message?: string };
    if (s.kind === 'Status' && s.message) message = s.message;
  } catch {
    // plain text (the kubelet's answers)
  }
  const what = `port-forward to pod ${pod} port ${port} refused by the API server (HTTP ${status})`;
  if (status === 403) return new CoordinatorError('PortForwardForbidden', `${what}: ${message}. The bot needs RBAC \`get\` and \`create\` on \`pods/portforward\` (deploy/rbac.yaml)`, false, false);
  if (status === 401) return new CoordinatorError('PortForwardUnauthorized', `${what}: ${message}`, false, false);
  return new CoordinatorError('PortForwardFailed', `${what}: ${message}`, status === 404 || status === 429 || status >= 500, false);
}

/**
 * One HTTP request to the coordinator in `namespace/pod` on `port`, through a port-forward of the API
 * server. Checks the fence right before opening the forward (every call is a leader's side effect).
 * Returns the answer's status and body. @throws FencedError; CoordinatorError for every other failure.
 */
export async function coordinatorCall(
  kc: KubeConfig,
  fence: Fence,
  target: { namespace: string; pod: string; port: number },
  creds: Pick<Credentials, 'username' | 'password'>,
  req: CoordinatorRequest,
  timeoutMs = COORDINATOR_TIMEOUT_MS,
): Promise<{ status: number; body: string }> {
  const { namespace, pod, port } = target;
  const fromPod = new PassThrough();
  const toPod = new PassThrough();
  const errors: string[] = [];
  const errStream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      errors.push(chunk.toString('utf8'));
      cb();
    },
  });
  let refused: { status: number; body: string } | undefined;
  // client-node's WebSocketHandler with a socket factory that keeps the API server's answer when it
  // does not upgrade (ws then only says "Unexpected server response").
  const handler = new WebSocketHandler(kc, (uri: string, protocols: string[], opts: WebSocket.ClientOptions) => {
    const ws = new WebSocket(uri, protocols, opts);
    ws.on('unexpected-response', (_r, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        refused = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') };
        ws.terminate();
      });
      res.on('error', () => ws.terminate());
    });
    return ws as never;
  });
  assertHeld(fence, `pg-coordinator ${req.method} ${req.path} on ${namespace}/${pod}`);
  let ws: WebSocket;
  try {
    ws = (await new PortForward(kc, true, handler).portForward(namespace, pod, [port], fromPod, errStream, toPod)) as unknown as WebSocket;
  } catch (err) {
    if (refused) throw upgradeRefusal(refused.status, refused.body, pod, port);
    throw new CoordinatorError('PortForwardFailed', `port-forward to pod ${namespace}/${pod} port ${port} failed: ${(err as Error)?.message ?? String(err)}`, true, false);
  }
  ws.on('close', () => fromPod.end());
  ws.on('error', () => fromPod.end());
  const socket = Duplex.from({ readable: fromPod, writable: toPod });
  let wrote = false;
  try {
    return await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = httpRequest(
        {
          method: req.method,
          path: req.path,
          host: 'localhost',
          port,
          headers: requestHeaders(req, creds),
          createConnection: () => socket as never,
          signal: AbortSignal.timeout(timeoutMs),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(req.body, () => {
        wrote = errors.length === 0;
      });
    });
  } catch (err) {
    const forwardError = errors.join('').trim();
    if (forwardError) throw new CoordinatorError('CoordinatorUnreachable', `nothing answered on pod ${namespace}/${pod} port ${port} (the coordinator is not running there?): ${forwardError}`, true, false);
    const timedOut = (err as Error)?.name === 'AbortError' || (err as Error)?.name === 'TimeoutError';
    throw new CoordinatorError(timedOut ? 'CoordinatorTimeout' : 'CoordinatorUnreachable', `${req.method} ${req.path} on pod ${namespace}/${pod} port ${port} ${timedOut ? `got no answer within ${timeoutMs / 1000}s` : `failed: ${(err as Error)?.message ?? String(err)}`}`, true, wrote);
  } finally {
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
  }
}

/** Options of {@link setFailover}. */
export interface SetFailoverOptions {
  fence: Fence;
  /** Attempts of each call for retryable failures (default 3), with p-retry's backoff from `minTimeoutMs` (default 200). */
  attempts?: number;
  minTimeoutMs?: number;
  timeoutMs?: number;
}

/**
 * Set `Coordinator/Status` to `value` on the coordinator of `namespace/pod` and read it back (`/set` is
 * only proposed: raft applies it after). Retries retryable failures (p-retry). On failure, the thrown
 * error's `sent` tells whether a set may have reached the coordinator (so it may be in effect).
 * @throws FencedError (not retried); CoordinatorError after the attempts, or at once when not retryable.
 */
export async function setFailover(
  kc: KubeConfig,
  target: { namespace: string; pod: string; port: number },
  creds: Credentials,
  value: string,
  opts: SetFailoverOptions,
): Promise<void> {
  let sent = false;
  try {
    await pRetry(
      async () => {
        const set = await coordinatorCall(kc, opts.fence, target, creds, setRequest(COORDINATOR_STATUS_KEY, value), opts.timeoutMs);
        if (set.status !== 200) throw answerError(set.status, set.body, true);
        sent = true;
        // Read back until raft has applied it (a few tries; the leader applies within a heartbeat).
        for (let i = 0; ; i++) {
          const got = await coordinatorCall(kc, opts.fence, target, creds, getRequest(COORDINATOR_STATUS_KEY), opts.timeoutMs);
          const back = parseGetAnswer(got.status, got.body);
          if (back === value) return;
          if (i >= 4) throw new CoordinatorError('NotApplied', `pg-coordinator accepted ${COORDINATOR_STATUS_KEY}=${value} but reads back ${back ?? '(unset)'}`, true, true);
          await new Promise((r) => setTimeout(r, 100 * (i + 1)));
        }
      },
      {
        retries: Math.max(0, (opts.attempts ?? 3) - 1),
        minTimeout: opts.minTimeoutMs ?? 200,
        factor: 2,
        shouldRetry: ({ error }) => !isFenced(error) && error instanceof CoordinatorError && error.retryable,
      },
    );
  } catch (err) {
    if (err instanceof CoordinatorError && sent && !err.sent) throw new CoordinatorError(err.reason, err.message, err.retryable, true);
    throw err;
  }
}
