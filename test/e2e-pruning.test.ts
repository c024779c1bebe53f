/**
 * The whole flow through the real bot with the emulator pruning custom resources to their CRD's
 * openAPIV3Schema (deploy/crd-databaseupdate.yaml), as a real API server does:
 * - a field the CRD does not define, written by someone else into a DatabaseUpdate (spec and status), is
 *   pruned (with the `unknown field` Warning), and the update still runs to Succeeded;
 * - the bot itself writes nothing the CRD lacks: the server sent no Warning to the bot's service account
 *   during a whole update, on the ops-request backend and on the direct backend (whose `status.direct`
 *   must survive through `x-kubernetes-preserve-unknown-fields`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { approve, request, settle } from '../sim/script.js';
import { serviceAccountUser } from '../sim/kube/rbac.js';

const BOT_USER = serviceAccountUser('dbupdate', 'dbupdate').user;
const worlds: World[] = [];

afterAll(async () => {
  for (const w of worlds) await w.stop();
});

/** Merge-patch a record (or its status) over HTTP as the admin; returns the response status and Warning header. */
async function adminPatch(w: World, ns: string, name: string, body: unknown, status = false): Promise<{ code: number; warning: string | null; object: Record<string, any> }> {
  const res = await fetch(`${w.cluster.server.url}/apis/dbupdate.dev/v1alpha1/namespaces/${ns}/databaseupdates/${name}${status ? '/status' : ''}`, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/merge-patch+json', Authorization: 'Bearer sim-token' },
    body: JSON.stringify(body),
  });
  return { code: res.status, warning: res.headers.get('warning'), object: (await res.json()) as Record<string, any> };
}

function botWarnings(w: World): string[] {
  return w.cluster.server.warnings.filter((x) => x.user === BOT_USER).map((x) => `${x.method} ${x.path}: ${x.warning}`);
}

describe('pruning by the DatabaseUpdate CRD schema, end to end through the real bot', () => {
  it('ops-request backend: an unknown field written into the record is pruned and the update succeeds; the bot wrote no unknown field', async () => {
    const w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15 } });
    worlds.push(w);
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.4');
    const ns = record.metadata.namespace;
    const spec = await adminPatch(w, ns, record.metadata.name, { spec: { bogus: 'x' } });
    expect(spec.code).toBe(200);
    expect(spec.warning).toBe('299 - "unknown field \\"spec.bogus\\""');
    expect(spec.object.spec).not.toHaveProperty('bogus');
    const st = await adminPatch(w, ns, record.metadata.name, { status: { bogus: { deep: 1 } } }, true);
    expect(st.warning).toBe('299 - "unknown field \\"status.bogus\\""');
    expect(st.object.status ?? {}).not.toHaveProperty('bogus');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(w.bot.records, record.metadata.name);
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.opsRequest?.name).toBeTruthy();
    expect(done.status?.steps?.every((s) => s.state === 'Succeeded')).toBe(true);
    expect(JSON.stringify(done)).not.toContain('bogus');
    expect(w.cluster.server.requests.some((r) => r.user === BOT_USER && r.path.includes('/databaseupdates'))).toBe(true);
    expect(botWarnings(w), botWarnings(w).join('\n')).toEqual([]);
  });

  it('direct backend: status.direct survives pruning (preserve-unknown-fields) and the update succeeds; the bot wrote no unknown field', async () => {
    const w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false }, direct: { podTimeoutMs: 1500, settleMs: 100, readyTimeoutMs: 5000 } });
    worlds.push(w);
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    expect(record.spec.backend).toBe('direct');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(w.bot.records, record.metadata.name, 30_000);
    expect(done.status?.phase).toBe('Succeeded');
    expect(Object.keys(done.status?.direct ?? {}).length).toBeGreaterThan(0);
    expect(botWarnings(w), botWarnings(w).join('\n')).toEqual([]);
  });

  it('an out-of-date CRD that prunes status.direct: the update stops at once, Failed, saying which CRD to apply and how to resume; no loop of writes', async () => {
    // As a cluster upgraded with Helm, which leaves CRDs as they were: status.direct without
    // x-kubernetes-preserve-unknown-fields. The real server prunes it to {} (found on kube-apiserver 1.36).
    const w = await startWorld({ sim: { podReadyDelayMs: 15, stepDelayMs: 15, opsManager: false }, direct: { podTimeoutMs: 1500, settleMs: 100, readyTimeoutMs: 5000 } });
    worlds.push(w);
    const CRD = { group: 'apiextensions.k8s.io', version: 'v1', plural: 'customresourcedefinitions' };
    const crd = w.cluster.store.get(CRD, undefined, 'databaseupdates.dbupdate.dev') as Record<string, any>;
    delete crd.spec.versions[0].schema.openAPIV3Schema.properties.status.properties.direct['x-kubernetes-preserve-unknown-fields'];
    w.cluster.store.update(CRD, crd as never);
    const { record, parent } = await request(w.slack, w.bot.records, USERS.requester, CHANNEL, 'mysql orders 8.0.36');
    await approve(w.slack, CHANNEL, parent, USERS.approver);
    const done = await settle(w.bot.records, record.metadata.name, 30_000);
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.message).toContain('`status.direct`');
    expect(done.status?.message).toContain('kubectl apply -f deploy/crd-databaseupdate.yaml');
    expect(done.status?.message).toContain(`/dbupdate resume ${record.metadata.name}`);
    // The bot stopped: a handful of status writes, not hundreds.
    await new Promise((r) => setTimeout(r, 500));
    const writes = w.cluster.server.requests.filter((r) => r.user === BOT_USER && r.verb === 'patch' && r.path.endsWith(`/databaseupdates/${record.metadata.name}/status`));
    expect(writes.length).toBeLessThan(20);
    expect(w.slack.replies(CHANNEL, parent.ts).map((m) => m.text).join('\n')).toContain('status.direct');
  });
});
