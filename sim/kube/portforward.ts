/**
 * Port-forward for the Kubernetes API emulator: `GET /api/v1/namespaces/{ns}/pods/{name}/portforward?ports=N`
 * upgraded to a WebSocket, as the API server proxies it to the kubelet's streaming server.
 *
 * Wire protocol (kubelet `pkg/kubelet/cri/streaming/portforward/websocket.go`, `handleWebSocketStreams`,
 * on `k8s.io/apimachinery/pkg/util/httpstream/wsstream`):
 * - subprotocols served: `v4.channel.k8s.io` (binary frames), `v4.base64.channel.k8s.io` (text frames,
 *   base64 payload, channel as an ASCII digit) and none; the first protocol of the client's list that is
 *   served wins (wsstream `handshake`), so client-node 1.4, which offers `v5.channel.k8s.io` first, gets
 *   `v4.channel.k8s.io`; a list naming none of them is refused with 403 (x/net/websocket handshake);
 * - per port two channels: data (`2·i`) and error (`2·i+1`); every frame starts with its channel byte; the
 *   first frame of each channel carries the port as 2 bytes little-endian;
 * - the connection to the pod's port is made when the WebSocket opens; when it fails, the kubelet writes
 *   `error forwarding port <port> to pod <sandbox>, uid : <runtime error>` on the error channel (containerd's
 *   wording for a port nothing listens on: `failed to connect to localhost:<port> inside namespace …
 *   connect: connection refused`) and closes; when the pod's side closes, the WebSocket closes.
 * Errors before the upgrade, as the API server and the kubelet answer them:
 * - authorization first (RBAC filter): `get` on `pods/portforward` (the verb of a GET), and since Kubernetes
 *   1.35 also `create` (`AuthorizePodWebsocketUpgradeCreatePermission`, beta and on by default,
 *   kubernetes/kubernetes#134577) — both are checked here; a denial is the 403 `Status`;
 * - pod missing → 404 `pods "<name>" not found`; no node → 400 `pod <name> does not have a host assigned`
 *   (`PortForwardLocation`, pkg/registry/core/pod/strategy.go);
 * - no `ports` → 400 `query parameter "port" is required` (kubelet `NewV4Options`; the API server passes
 *   `ports` on as `port`); a port out of range → 400 `unable to parse "<p>" as a port: …`;
 * - pod not running (its sandbox not ready: `Pending`, `Succeeded`, `Failed`) → 500 from the container
 *   runtime through the kubelet (`streaming.WriteError`, plain text), here
 *   `rpc error: code = FailedPrecondition desc = sandbox container "<id>" is not running`.
 * A plain GET without the upgrade answers 400 `Upgrade request required` (server.ts).
 *
 * What listens in a pod is registered per store by the simulated workloads ({@link listenInPods}), as
 * admission validators are (admission.ts): the server has the store, the controllers have the store.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { PassThrough, Duplex as DuplexStream } from 'node:stream';
import { createHash } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClusterStore, KubeObject } from './api.js';
import { badRequest, genericStatus, notFound, StatusError, statusObject } from './status.js';

/** Subprotocols the kubelet's port-forward serves, in its order (`v4.channel.k8s.io` first). */
export const PORT_FORWARD_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** A connection accepted by a process in a pod: the pod side of the forwarded stream. */
export type PodConnectionHandler = (socket: Duplex) => void;

/**
 * A process listening in pods: for a pod object and a port, the handler of a new connection, or
 * undefined when nothing listens there (the connection is refused).
 */
export type PodListener = (pod: KubeObject, port: number) => PodConnectionHandler | undefined;

const listeners = new WeakMap<object, Set<PodListener>>();

/** Register a process listening in pods of `store`'s cluster. Returns an unregister function. */
export function listenInPods(store: ClusterStore, listener: PodListener): () => void {
  let set = listeners.get(store);
  if (!set) listeners.set(store, (set = new Set()));
  set.add(listener);
  return () => set!.delete(listener);
}

/** The handler of a connection to `port` of `pod`, or undefined (connection refused). */
export function connectInPod(store: ClusterStore, pod: KubeObject, port: number): PodConnectionHandler | undefined {
  for (const l of listeners.get(store) ?? []) {
    const h = l(pod, port);
    if (h) return h;
  }
  return undefined;
}

/**
 * Two connected in-process streams (what one side writes the other reads), like a socket pair.
 * Ending one side's writable ends the other's readable.
 */
export function duplexPair(): [Duplex, Duplex] {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  const a = DuplexStream.from({ readable: bToA, writable: aToB });
  const b = DuplexStream.from({ readable: aToB, writable: bToA });
  return [a, b];
}

/** Parse `/api/v1/namespaces/{ns}/pods/{name}/portforward`; undefined for another path. */
export function portForwardPath(pathname: string): { namespace: string; name: string } | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward\/?$/.exec(pathname);
  return m ? { namespace: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]) } : undefined;
}

/** The ports of a port-forward request (`ports=2379`, `ports=1,2`, repeated). @throws KubeletError 400 (plain text) as the kubelet answers. */
export function parsePorts(q: URLSearchParams): number[] {
  const values = q.getAll('ports');
  if (values.length === 0) throw new KubeletError(400, 'query parameter "port" is required');
  const out: number[] = [];
  for (const v of values) {
    if (!v) throw new KubeletError(400, 'query parameter "port" cannot be empty');
    for (const p of v.split(',')) {
      const n = /^\d+$/.test(p) ? Number(p) : NaN;
      if (!Number.isInteger(n) || n > 65535) throw new KubeletError(400, `unable to parse "${v}" as a port: strconv.ParseUint: parsing "${p}": ${Number.isInteger(n) ? 'value out of range' : 'invalid syntax'}`);
      if (n < 1) throw new KubeletError(400, `port "${v}" must be > 0`);
      out.push(n);
    }
  }
  return out;
}

/** The pod's sandbox id as the container runtime would name it (64 hex, stable per pod uid). */
function sandboxId(pod: KubeObject): string {
  return createHash('sha256').update(pod.metadata.uid ?? pod.metadata.name).digest('hex');
}

/**
 * Check the pod can be forwarded to and return it. @throws StatusError (404 missing pod, 400 no node) or a
 * {@link KubeletError} (500 sandbox not running).
 */
export function forwardablePod(store: ClusterStore, namespace: string, name: string): KubeObject {
  const pod = store.tryGet({ group: '', version: 'v1', plural: 'pods' }, namespace, name);
  if (!pod) throw notFound('', 'pods', name);
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  if (phase !== 'Running') throw new KubeletError(500, `rpc error: code = FailedPrecondition desc = sandbox container "${sandboxId(pod)}" is not running`);
  return pod;
}

/** An error the kubelet answers in plain text (proxied as is by the API server). */
export class KubeletError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeletError';
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/** Write an HTTP error response on a socket that was to be upgraded, then close it. */
export function rejectUpgrade(socket: Duplex, err: unknown): number {
  let code: number;
  let type: string;
  let body: string;
  let retryAfter = '';
  if (err instanceof StatusError) {
    code = err.code;
    type = 'application/json';
    body = JSON.stringify(err.status);
    if (err.retryAfterSeconds !== undefined) retryAfter = `Retry-After: ${err.retryAfterSeconds}\r\n`;
  } else if (err instanceof KubeletError) {
    code = err.code;
    type = 'text/plain; charset=utf-8';
    body = err.message;
  } else {
    const se = genericStatus(500, `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);
    code = 500;
    type = 'application/json';
    body = JSON.stringify(se.status);
  }
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${code} ${STATUS_TEXT[code] ?? 'Error'}\r\nContent-Type: ${type}\r\nCache-Control: no-cache, private\r\n${retryAfter}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.end();
  socket.destroy();
  return code;
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => pickProtocol([...offered]) ?? false });

/** The subprotocol the kubelet picks from a client's list (the first one it serves); '' when none was offered. */
export function pickProtocol(offered: string[]): string | undefined {
  if (offered.length === 0) return '';
  return offered.find((p) => PORT_FORWARD_PROTOCOLS.includes(p));
}

/**
 * Upgrade an authorized port-forward request to the pod `pod` and forward `ports` (one connection per
 * port, made at once). Refuses (403, empty body) a subprotocol list naming none the kubelet serves.
 * Returns the HTTP status sent (101 on success).
 */
export function upgradePortForward(store: ClusterStore, req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject, ports: number[]): number {
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const protocol = pickProtocol(offered);
  if (protocol === undefined) {
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return 403;
  }
  wss.handleUpgrade(req, socket, head, (ws) => forward(store, ws, pod, ports));
  return 101;
}

function forward(store: ClusterStore, ws: WebSocket, pod: KubeObject, ports: number[]): void {
  const base64 = ws.protocol === 'v4.base64.channel.k8s.io';
  const send = (channel: number, data: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (base64) ws.send(String.fromCharCode(48 + channel) + data.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([channel]), data]), { binary: true });
  };
  const podSides: Array<Duplex | undefined> = [];
  let open = ports.length;
  const oneDone = () => {
    open--;
    if (open <= 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port, 0);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
    const handler = connectInPod(store, pod, port);
    if (!handler) {
      const sb = sandboxId(pod);
      send(
        2 * i + 1,
        Buffer.from(
          `error forwarding port ${port} to pod ${sb}, uid : failed to execute portforward in network namespace "/var/run/netns/cni-${sb.slice(0, 8)}-${sb.slice(8, 12)}-${sb.slice(12, 16)}-${sb.slice(16, 20)}-${sb.slice(20, 32)}": failed to connect to localhost:${port} inside namespace "${sb}", IPv4: dial tcp4 127.0.0.1:${port}: connect: connection refused IPv6 dial tcp6 [::1]:${port}: connect: connection refused `,
        ),
      );
      oneDone();
      return;
    }
    const [clientSide, podSide] = duplexPair();
    podSides[i] = clientSide;
    clientSide.on('data', (d: Buffer) => send(2 * i, d));
    clientSide.on('end', oneDone);
    clientSide.on('error', oneDone);
    handler(podSide);
  });
  ws.on('message', (data, isBinary) => {
    let buf: Buffer;
    let channel: number;
    if (isBinary) {
      buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      channel = buf[0];
      buf = buf.subarray(1);
    } else {
      const text = String(data);
      channel = text.charCodeAt(0) - 48;
      buf = Buffer.from(text.slice(1), 'base64');
    }
    if (channel % 2 === 1) return; // nothing is read from an error channel
    const side = podSides[channel / 2];
    if (side && buf.length) side.write(buf);
  });
  ws.on('close', () => {
    for (const s of podSides) s?.end();
  });
  ws.on('error', () => {
    for (const s of podSides) s?.destroy();
  });
}

/** The `Status` of a request the emulator does not upgrade (another path than a pod's port-forward). */
export function upgradeNotServed(): StatusError {
  return new StatusError(statusObject(400, 'BadRequest', 'Upgrade request required'));
}
