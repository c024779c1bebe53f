/**
 * The emulator's `pods/portforward` (sim/kube/portforward.ts) as the API server and kubelet answer
 * it — subprotocol choice, the port prefix of both channels, the errors before and after the upgrade,
 * RBAC `get` and `create` — driven by a raw `ws` client and by client-node's `PortForward`; and the
 * simulated pg-coordinator behind it (sim/kubedb/coordinator.ts): its HTTP answers and the failover
 * it makes unless `Coordinator/Status` is `Pause`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';
import { listenInPods } from '../sim/kube/portforward.js';
import type { KubeObject } from '../sim/kube/api.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../sim/world.js';
import { pollUntil } from '../sim/script.js';
import { coordinatorCall, fenceOf, getRequest, readCredentials, setFailover, setRequest, type Credentials } from '../src/pipeline/coordinator.js';
import { ALWAYS_HELD } from '../src/kube/fence.js';
import { isFenced } from '../src/kube/errors.js';

const POD = { group: '', version: 'v1', plural: 'pods' };
const ROLE = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles' };
const BINDING = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings' };

interface Answer {
  status: number;
  body: string;
  protocol?: string;
  frames: Buffer[];
  texts: string[];
}

/** Open a port-forward WebSocket and collect what comes back until it closes (or `ms` pass), sending `send` frames once open. */
function forward(base: string, path: string, opts: { token?: string; protocols?: string[]; send?: Buffer[]; ms?: number } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const out: Answer = { status: 0, body: '', frames: [], texts: [] };
    const ws = new WebSocket(base.replace(/^http/, 'ws') + path, opts.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'], {
      headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
    });
    const timer = setTimeout(() => ws.terminate(), opts.ms ?? 1500);
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ ...out, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      out.status = 101;
      out.protocol = ws.protocol;
      for (const f of opts.send ?? []) ws.send(f);
    });
    ws.on('message', (data, binary) => (binary ? out.frames.push(Buffer.from(data as Buffer)) : out.texts.push(String(data))));
    ws.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
    ws.on('error', () => undefined);
  });
}

describe('pods/portforward over WebSocket (generic: an echo process in a pod)', () => {
  let server: KubeApiServer;
  const store = new Store();
  beforeAll(async () => {
    store.create({ group: '', version: 'v1', plural: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } });
    const pod = (name: string, phase: string, nodeName?: string): KubeObject =>
      ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'demo' }, spec: { containers: [{ name: 'web', image: 'nginx' }], ...(nodeName ? { nodeName } : {}) }, status: { phase } }) as KubeObject;
    for (const p of [pod('web-0', 'Running', 'node-1'), pod('web-pending', 'Pending', 'node-1'), pod('web-unscheduled', 'Pending')]) {
      const created = store.create(POD, p);
      store.update(POD, { ...created, status: p.status }, { subresource: 'status' });
    }
    // An echo server on port 8080 of web-0.
    listenInPods(store, (p, port) => (p.metadata.name === 'web-0' && port === 8080 ? (socket) => socket.pipe(socket) : undefined));
    const rule = (verbs: string[]) => ({ apiGroups: [''], resources: ['pods/portforward'], verbs });
    store.create(ROLE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'both', namespace: 'demo' }, rules: [rule(['get', 'create'])] } as KubeObject);
    store.create(ROLE, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'get-only', namespace: 'demo' }, rules: [rule(['get'])] } as KubeObject);
    const bind = (name: string, role: string, sa: string) =>
      store.create(BINDING, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name, namespace: 'demo' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: 'demo' }],
      } as KubeObject);
    bind('both', 'both', 'fwd');
    bind('get-only', 'get-only', 'getter');
    server = await KubeApiServer.start({
      store,
      rbac: true,
      users: { fwd: serviceAccountUser('demo', 'fwd'), getter: serviceAccountUser('demo', 'getter'), nobody: serviceAccountUser('demo', 'nobody') },
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('upgrades with v4.channel.k8s.io (the first offered protocol it serves); each channel starts with the port, little-endian; data is forwarded both ways', async () => {
    const a = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=8080', { token: 'fwd', send: [Buffer.concat([Buffer.from([0]), Buffer.from('ping')])], ms: 400 });
    expect(a.status).toBe(101);
    expect(a.protocol).toBe('v4.channel.k8s.io');
    expect(a.frames[0]).toEqual(Buffer.from([0, 0x90, 0x1f])); // data channel, 8080 = 0x1f90
    expect(a.frames[1]).toEqual(Buffer.from([1, 0x90, 0x1f])); // error channel
    expect(Buffer.concat(a.frames.slice(2).filter((f) => f[0] === 0).map((f) => f.subarray(1))).toString()).toBe('ping');
  });

  it('v4.base64.channel.k8s.io: text frames, the channel as a digit, base64 payloads', async () => {
    const a = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=8080', { token: 'fwd', protocols: ['v4.base64.channel.k8s.io'], ms: 300 });
    expect(a.protocol).toBe('v4.base64.channel.k8s.io');
    expect(a.texts.slice(0, 2)).toEqual([`0${Buffer.from([0x90, 0x1f]).toString('base64')}`, `1${Buffer.from([0x90, 0x1f]).toString('base64')}`]);
  });

  it('a protocol list naming none it serves is refused with 403 (the websocket handshake)', async () => {
    const a = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=8080', { token: 'fwd', protocols: ['v5.channel.k8s.io'] });
    expect(a.status).toBe(403);
  });

  it('nothing listening on the port: upgraded, then the runtime\u2019s "connection refused" on the error channel, then closed', async () => {
    const a = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=9999', { token: 'fwd' });
    expect(a.status).toBe(101);
    const err = Buffer.concat(a.frames.filter((f) => f[0] === 1).slice(1).map((f) => f.subarray(1))).toString();
    expect(err).toMatch(/^error forwarding port 9999 to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace .*dial tcp4 127\.0\.0\.1:9999: connect: connection refused/);
  });

  it('RBAC: get and create on pods/portforward are both required (Kubernetes ≥ 1.35); the 403 is the API server\u2019s Status', async () => {
    const none = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=8080', { token: 'nobody' });
    expect(none.status).toBe(403);
    expect(JSON.parse(none.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods "web-0" is forbidden: User "system:serviceaccount:demo:nobody" cannot get resource "pods/portforward" in API group "" in the namespace "demo"' });
    const getOnly = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=8080', { token: 'getter' });
    expect(getOnly.status).toBe(403);
    expect(JSON.parse(getOnly.body).message).toBe('pods "web-0" is forbidden: User "system:serviceaccount:demo:getter" cannot create resource "pods/portforward" in API group "" in the namespace "demo"');
    expect(server.denials.filter((d) => d.resource === 'pods/portforward').map((d) => `${d.user} ${d.verb}`)).toEqual(['system:serviceaccount:demo:nobody get', 'system:serviceaccount:demo:getter create']);
  });

  it('errors before the upgrade: missing pod 404, no node 400, not running 500 (plain text from the kubelet), no ports 400, bad port 400', async () => {
    const missing = await forward(server.url, '/api/v1/namespaces/demo/pods/nope/portforward?ports=8080', { token: 'fwd' });
    expect([missing.status, JSON.parse(missing.body).message]).toEqual([404, 'pods "nope" not found']);
    const unscheduled = await forward(server.url, '/api/v1/namespaces/demo/pods/web-unscheduled/portforward?ports=8080', { token: 'fwd' });
    expect([unscheduled.status, JSON.parse(unscheduled.body).message]).toEqual([400, 'pod web-unscheduled does not have a host assigned']);
    const pending = await forward(server.url, '/api/v1/namespaces/demo/pods/web-pending/portforward?ports=8080', { token: 'fwd' });
    expect(pending.status).toBe(500);
    expect(pending.body).toMatch(/^rpc error: code = FailedPrecondition desc = sandbox container "[0-9a-f]{64}" is not running$/);
    const noPorts = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward', { token: 'fwd' });
    expect([noPorts.status, noPorts.body]).toEqual([400, 'query parameter "port" is required']);
    const bad = await forward(server.url, '/api/v1/namespaces/demo/pods/web-0/portforward?ports=http', { token: 'fwd' });
    expect([bad.status, bad.body]).toEqual([400, 'unable to parse "http" as a port: strconv.ParseUint: parsing "http": invalid syntax']);
  });

  it('a GET without the upgrade answers 400 Upgrade request required', async () => {
    const res = await fetch(`${server.url}/api/v1/namespaces/demo/pods/web-0/portforward?ports=8080`, { headers: { Authorization: 'Bearer fwd' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: 'Upgrade request required' });
  });
});

describe('simulated pg-coordinator behind the port-forward (client-node PortForward + Node http)', () => {
  let c: EmbeddedCluster;
  let creds: Credentials;
  const target = (pod: string) => ({ namespace: 'billing', pod, port: 2379 });
  const primaries = () =>
    c.store
      .list(POD, 'billing', 'app.kubernetes.io/instance=ledger')
      .items.filter((p) => p.metadata.labels?.['kubedb.com/role'] === 'primary')
      .map((p) => p.metadata.name);

  beforeAll(async () => {
    c = await startEmbeddedCluster({ opsManager: false, podReadyDelayMs: 15 });
    creds = await readCredentials(c.kube, 'billing', { metadata: { name: 'ledger' }, spec: {} });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('answers as pg-coordinator\u2019s HTTP API: 401 {} for wrong credentials, set/get, key not found, 405, 400, 404', async () => {
    const call = (req: Parameters<typeof coordinatorCall>[4], who: Pick<Credentials, 'username' | 'password'> = creds) => coordinatorCall(c.kube.kc, ALWAYS_HELD, target('ledger-1'), who, req);
    expect(creds).toMatchObject({ username: 'postgres', secret: 'billing/ledger-auth' });
    expect(await call(getRequest('Coordinator/Status'), { username: 'postgres', password: 'wrong' })).toEqual({ status: 401, body: '{}\n' });
    expect(await call(getRequest('Coordinator/Status'))).toEqual({ status: 404, body: 'key not found' });
    expect(await call(setRequest('Coordinator/Status', 'Resume'))).toEqual({ status: 200, body: 'proposed key saved. Coordinator/Status:Resume' });
    expect(await call(getRequest('Coordinator/Status'))).toEqual({ status: 200, body: '{"key":"Coordinator/Status","value":"Resume"}\n' });
    expect(await call({ method: 'GET', path: '/set', body: '{}' })).toEqual({ status: 405, body: 'Method not allowed\n' });
    expect(await call({ method: 'POST', path: '/set', body: '{"key":"Coordinator/Status"}' })).toEqual({ status: 400, body: "key or value can't be empty\n" });
    expect(await call({ method: 'POST', path: '/set', body: 'not json' })).toEqual({ status: 400, body: 'Failed on POST\n' });
    expect(await call({ method: 'GET', path: '/nothing' as '/get', body: '{}' })).toEqual({ status: 404, body: 'not found\n' });
  });

  it('a replica whose Lease is not held makes no coordinator call: the fence of its Kube is checked before the port-forward', async () => {
    let held = false;
    const kube = c.kube.fenced({ held: () => held });
    const from = c.server.requests.length;
    const err = await setFailover(kube.kc, target('ledger-1'), creds, 'Pause', { fence: fenceOf(kube) }).catch((e: unknown) => e);
    expect(isFenced(err)).toBe(true);
    expect(c.server.requests.slice(from).filter((r) => r.path.endsWith('/portforward'))).toEqual([]);
    held = true;
    await setFailover(kube.kc, target('ledger-1'), creds, 'Resume', { fence: fenceOf(kube) });
    expect(c.server.requests.slice(from).filter((r) => r.path.endsWith('/portforward')).map((r) => r.status)).toEqual([101, 101]);
  });

  it('fails over when the primary goes away unpaused; holds the roles while Coordinator/Status is Pause', async () => {
    expect(primaries()).toEqual(['ledger-0']);
    const before = c.sim.pgCoordinators.failovers.length;
    await c.kube.core.deleteNamespacedPod({ namespace: 'billing', name: 'ledger-0' });
    await pollUntil(async () => c.sim.pgCoordinators.failovers.length > before, 5000, () => 'a failover');
    expect(c.sim.pgCoordinators.failovers.at(-1)).toMatchObject({ namespace: 'billing', database: 'ledger', from: 'ledger-0', to: 'ledger-1' });
    // the old primary comes back as a standby
    await pollUntil(async () => c.store.tryGet(POD, 'billing', 'ledger-0')?.metadata.labels?.['kubedb.com/role'] === 'standby', 5000, () => 'ledger-0 back as standby');
    expect(primaries()).toEqual(['ledger-1']);

    await setFailover(c.kube.kc, target('ledger-1'), creds, 'Pause', { fence: ALWAYS_HELD });
    const held = c.sim.pgCoordinators.heldByPause.length;
    const failovers = c.sim.pgCoordinators.failovers.length;
    await c.kube.core.deleteNamespacedPod({ namespace: 'billing', name: 'ledger-1' });
    await pollUntil(async () => c.sim.pgCoordinators.heldByPause.length > held, 5000, () => 'the primary held by the pause');
    await pollUntil(async () => (await c.kube.core.readNamespacedPod({ namespace: 'billing', name: 'ledger-1' }).catch(() => undefined))?.status?.phase === 'Running', 5000, () => 'ledger-1 back');
    expect(c.sim.pgCoordinators.failovers.length).toBe(failovers);
    expect(primaries()).toEqual(['ledger-1']);
    // The raft store survives the restart of the pod that was asked.
    expect(await coordinatorCall(c.kube.kc, ALWAYS_HELD, target('ledger-1'), creds, getRequest('Coordinator/Status'))).toEqual({ status: 200, body: '{"key":"Coordinator/Status","value":"Pause"}\n' });
  });
});
