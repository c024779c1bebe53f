/**
 * Split-brain (issue #11): two real bot processes (`src/main.ts`). The leader is frozen with SIGSTOP in
 * the middle of a step — right after a record write it made, whose answer it has not read yet — for
 * longer than the Lease; the other replica takes over and finishes the update. Then the old leader is
 * resumed with SIGCONT: it must make no write at all (its Kubernetes and Slack Web API traffic goes
 * through counting proxies, so every request it sends after resuming is seen), the record stays
 * Succeeded, the database is not paused, each thread line appears once, and there is one OpsRequest.
 * Run on the emulator and on the real kube-apiserver (test/support/clusters.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS, CHANNEL } from '../sim/world.js';
import { CLUSTER_KINDS, startCluster, type ClusterUnderTest } from '../sim/clusters.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { CountingProxy, kubeconfigThroughProxy } from '../sim/counting-proxy.js';
import { spawnBot, writeBotFiles, waitUntilLeading, type BotProcess } from '../sim/bot-process.js';
import { approve, pollUntil, request, settle } from '../sim/script.js';
import { RecordStore } from '../src/updates/records.js';
import { LEASE_NAME } from '../src/bot.js';
import { getDatabase, listOpsRequests } from '../src/kube/kubedb.js';
import { engineByKind } from '../src/engines/table.js';
import { isPaused } from '../src/kube/kubedb.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const STEPS = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/];
describe.each(CLUSTER_KINDS)('split-brain on the %s', (kind) => {
let c: ClusterUnderTest;
let slack: SlackEmulator;
let kubeProxy: CountingProxy;
let slackProxy: CountingProxy;
const procs: BotProcess[] = [];

beforeAll(async () => {
  c = await startCluster(kind, { podReadyDelayMs: 300, stepDelayMs: 300 });
  // A longer ack deadline than Slack's 3 s: two bot processes start on a loaded test machine.
  slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }], ackTimeoutMs: 15_000 });
  kubeProxy = await CountingProxy.start(c.serverUrl, { ca: c.ca });
  slackProxy = await CountingProxy.start(slack.apiUrl.replace(/\/api\/$/, ''));
}, 120_000);
afterAll(async () => {
  for (const p of procs) {
    p.kill('SIGCONT');
    p.kill('SIGKILL');
  }
  await Promise.all(procs.map((p) => p.exited));
  await kubeProxy?.stop();
  await slackProxy?.stop();
  await slack?.stop();
  await c?.stop();
});

describe('split-brain: a leader frozen past its Lease makes no write when it wakes', () => {
  it('SIGSTOP mid-step, the other replica finishes, SIGCONT: no write from the old leader, every line once', async () => {
    // Lease 3 s: renew every 1 s, renew deadline 2 s.
    const files = writeBotFiles(c.cluster, c.config({ leaseDurationSeconds: 3 }));
    // Replica A talks to the cluster and to Slack's Web API through the counting proxies.
    const kubeconfigA = join(files.dir, 'kubeconfig-a');
    writeFileSync(kubeconfigA, kubeconfigThroughProxy(readFileSync(files.kubeconfig, 'utf8'), kubeProxy.url));
    const a = spawnBot({ files: { ...files, kubeconfig: kubeconfigA }, slack: { botToken: slack.botToken, appToken: slack.appToken, apiUrl: `${slackProxy.url}/api/` }, identity: 'bot-a', env: { PORT: '0' } });
    procs.push(a);
    await waitUntilLeading(c.cluster, slack, 'bot-a', a);
    const b = spawnBot({ files, slack, identity: 'bot-b', env: { PORT: '0' } });
    procs.push(b);
    await slack.waitFor(() => slack.socketConnections() >= 2 || undefined, { timeoutMs: 60_000, what: 'bot-b to connect' }).catch((err) => {
      throw new Error(`${err}\nA:\n${a.output()}\nB:\n${b.output()}`);
    });

    const records = new RecordStore(c.kube, c.recordsNamespace);
    const { record, parent } = await request(slack, records, USERS.requester, CHANNEL, 'mysql orders 8.0.36', 20_000);
    await approve(slack, CHANNEL, parent, USERS.approver).catch((err) => { throw new Error(`${err}\nA:\n${a.output()}\nB:\n${b.output()}`); });
    await slack.waitFor(() => slack.replies(CHANNEL, parent.ts).some((m) => /Paused/.test(m.text)) || undefined, { timeoutMs: 30_000, what: 'the Paused post' });

    // Freeze A while the answer to its next record write is held back: it wakes up with work in flight.
    kubeProxy.holdNext = (method, url) => method === 'PATCH' && url.includes(`/databaseupdates/${record.metadata.name}`);
    await pollUntil(async () => kubeProxy.heldCount() > 0 || undefined, 30_000, () => 'bot-a to write the record');
    // Freeze A with no Slack request of its own on the wire: a post whose request had already left when the
    // process stopped is not one it made after waking. (The post client checks the Lease as a request leaves,
    // src/slack/app.ts; Slack has no fencing token, so a request already sent cannot be called back.)
    await pollUntil(async () => slackProxy.inFlight() === 0 || undefined, 30_000, () => "bot-a's Slack requests to be answered");
    a.kill('SIGSTOP');
    kubeProxy.release();

    // B takes over (the Lease expires on its clock) and finishes.
    await pollUntil(async () => {
      const lease = await c.kube.coordination.readNamespacedLease({ name: LEASE_NAME, namespace: c.recordsNamespace }).catch(() => undefined);
      return lease?.spec?.holderIdentity?.startsWith('bot-b') || undefined;
    }, 30_000, () => 'bot-b to take the Lease');
    const done = await settle(records, record.metadata.name, 60_000);
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    await slack.waitFor(() => slack.replies(CHANNEL, parent.ts).some((m) => /Done/.test(m.text)) || undefined, { timeoutMs: 30_000, what: 'the Done post' });

    // Wake A. It must only read, find the Lease taken, and step down.
    kubeProxy.resumed = true;
    slackProxy.resumed = true;
    a.kill('SIGCONT');
    await pollUntil(async () => kubeProxy.seen.filter((r) => r.afterResume && r.method === 'GET' && r.url.includes('/leases/')).length >= 3 || undefined, 30_000, () => 'bot-a to read the Lease three times after resuming');
    expect(a.child.exitCode, a.output()).toBeNull();
    expect(a.output()).toMatch(/lost leadership|stepping down/);

    const kubeWrites = kubeProxy.seen.filter((r) => r.afterResume && MUTATING.has(r.method));
    expect(kubeWrites.filter((r) => !r.url.includes('/leases/')), 'writes by bot-a after SIGCONT').toEqual([]);
    expect(kubeWrites.filter((r) => r.status !== 409), 'Lease writes by bot-a after SIGCONT that did not fail').toEqual([]);
    const slackWrites = slackProxy.seen.filter((r) => r.afterResume && /chat\.(postMessage|update|delete)/.test(r.url));
    expect(slackWrites, 'Slack posts by bot-a after SIGCONT').toEqual([]);

    const final = await records.get(record.metadata.name);
    expect(final?.status?.phase).toBe('Succeeded');
    const engine = engineByKind('MySQL')!;
    const db = await getDatabase(c.kube, engine, record.spec.database.namespace, record.spec.database.name);
    expect(db && isPaused(db), 'database paused').toBe(false);
    const lines = slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    for (const re of STEPS) expect(lines.filter((l) => re.test(l)), `${re} once in:\n${lines.join('\n')}`).toHaveLength(1);
    const ops = (await listOpsRequests(c.kube, engine, record.spec.database.namespace)).filter((o) => o.metadata.labels?.['dbupdate.dev/record'] === record.metadata.name);
    expect(ops).toHaveLength(1);
  }, 240_000);
});
});
