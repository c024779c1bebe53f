/**
 * Pure parts of chat recovery and the request form: which `Paused` condition a request may remove
 * (`removablePause`), the resume intent (`requestResume`), the modal's field reading (`readRequestForm`),
 * the Block Kit of the modal and Home tab against the emulator's Slack checks, and the thread line of
 * a resume (`threadPosts`).
 */
import { describe, expect, it } from 'vitest';
import { removablePause } from '../src/pipeline/resume-database.js';
import { requestResume } from '../src/updates/resume.js';
import { pauseCondition } from '../src/pipeline/direct-state.js';
import { readRequestForm } from '../src/command/form.js';
import { homeView, requestModal, HOME_MAX_REQUESTS } from '../src/slack/render-forms.js';
import { threadPosts } from '../src/slack/render.js';
import { validateView } from '../sim/slack/blocks.js';
import { RecordRefusal } from '../src/updates/records.js';
import type { DatabaseObject, OpsRequestObject } from '../src/kube/kubedb.js';
import type { DatabaseUpdate, RecordStatus } from '../src/api/v1alpha1/databaseupdate.js';

function record(over: { backend?: 'direct' | 'ops-request'; status?: RecordStatus; name?: string } = {}): DatabaseUpdate {
  return {
    apiVersion: 'dbupdate.dev/v1alpha1',
    kind: 'DatabaseUpdate',
    metadata: { name: over.name ?? 'orders-1a2b3c4d', namespace: 'dbupdate', creationTimestamp: '2026-12-01T01:00:00Z' } as DatabaseUpdate['metadata'],
    spec: {
      engine: 'MySQL', database: { cluster: 'sim', namespace: 'demo', name: 'orders' }, requestedVersion: '8.0.36', fromVersion: '8.0.35', targetVersion: '8.0.36',
      updateType: 'patch', backend: over.backend ?? 'direct', requester: 'U_ALICE', channel: 'C_DBOPS', expiresAt: '2026-12-02T00:00:00Z', approvers: ['U_BOB'], approvalsRequired: 1,
    },
    status: over.status ?? { phase: 'Failed', startedAt: '2026-12-01T02:00:00.500Z' },
  };
}

function db(conditions: DatabaseObject['status'] extends infer S ? (S extends { conditions?: infer C } ? C : never) : never): DatabaseObject {
  return { apiVersion: 'kubedb.com/v1', kind: 'MySQL', metadata: { name: 'orders', namespace: 'demo' }, spec: { version: '8.0.35' }, status: { phase: 'NotReady', conditions } };
}

const opsPaused = (at: string) => ({ type: 'Paused', status: 'True', reason: 'Paused', message: 'MySQLOpsRequest orders-update is in process', lastTransitionTime: at });
const ops = (name: string, phase: string): OpsRequestObject => ({ apiVersion: 'ops.kubedb.com/v1alpha1', kind: 'MySQLOpsRequest', metadata: { name, namespace: 'demo' }, spec: { type: 'UpdateVersion', databaseRef: { name: 'orders' } }, status: { phase } });

describe('removablePause', () => {
  it('direct: only the bot\'s own pause for this record', () => {
    const r = record();
    expect(removablePause(r, db([pauseCondition(r.metadata.name, new Date())]))).toMatchObject({ ok: true, owner: 'dbupdate' });
    expect(removablePause(r, db([pauseCondition('ledger-99999999', new Date())]))).toMatchObject({ ok: false, code: 'not_ours' });
    expect(removablePause(r, db([{ type: 'Paused', status: 'True', reason: 'PausedByKubeDBCLI', message: 'Paused by KubeDB CLI tool' }]))).toMatchObject({ ok: false, code: 'not_ours' });
    expect(removablePause(r, db([{ type: 'Paused', status: 'False' }]))).toMatchObject({ ok: false, code: 'not_paused' });
    expect(removablePause(r, db([]))).toMatchObject({ ok: false, code: 'not_paused' });
    expect(removablePause(r, undefined)).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('ops-request: Ops Manager\'s pause set during this update, once no OpsRequest of the database is unfinished', () => {
    const r = record({ backend: 'ops-request' });
    const mine = ops('orders-update-8-0-36-abcde', 'Failed');
    // metav1.Time has whole seconds: a pause at 02:00:00Z counts for an update started at 02:00:00.500Z
    expect(removablePause(r, db([opsPaused('2026-12-01T02:00:00Z')]), mine, [mine])).toMatchObject({ ok: true, owner: 'ops-manager' });
    expect(removablePause(r, db([opsPaused('2026-12-01T02:00:00Z')]), null, [])).toMatchObject({ ok: true }); // OpsRequest deleted
    expect(removablePause(r, db([opsPaused('2026-12-01T02:00:00Z')]), ops('x', 'Progressing'), [])).toMatchObject({ ok: false, code: 'ops_running' });
    expect(removablePause(r, db([opsPaused('2026-12-01T02:00:00Z')]), mine, [mine, ops('other', 'Pending')])).toMatchObject({ ok: false, code: 'ops_running' });
    expect(removablePause(r, db([opsPaused('2026-12-01T01:59:59Z')]), mine, [mine])).toMatchObject({ ok: false, code: 'not_ours' });
    expect(removablePause(r, db([pauseCondition('ledger-99999999', new Date('2026-12-01T03:00:00Z'))]), mine, [mine])).toMatchObject({ ok: false, code: 'not_ours' });
    expect(removablePause(record({ backend: 'ops-request', status: { phase: 'Failed' } }), db([opsPaused('2026-12-01T02:00:00Z')]), mine, [])).toMatchObject({ ok: false, code: 'not_ours' });
  });
});

describe('requestResume', () => {
  const now = new Date('2026-12-01T03:00:00Z');
  it('writes the intent on a finished record; a second ask while it is pending is a no-op', () => {
    const st: RecordStatus = { phase: 'Failed' };
    expect(requestResume(st, record(), 'U_ALICE', now)).toBe(true);
    expect(st.resume).toEqual({ requestedBy: 'U_ALICE', at: '2026-12-01T03:00:00.000Z', state: 'Requested' });
    expect(requestResume(st, record(), 'U_BOB', now)).toBe(false);
    expect(st.resume?.requestedBy).toBe('U_ALICE');
    // after an outcome a new ask is a new intent
    st.resume = { ...st.resume!, state: 'Refused' };
    expect(requestResume(st, record(), 'U_BOB', new Date('2026-12-01T04:00:00Z'))).toBe(true);
    expect(st.resume).toMatchObject({ requestedBy: 'U_BOB', state: 'Requested' });
  });
  it('refuses a record that has not finished', () => {
    for (const phase of ['Pending', 'Approved', 'Scheduled', 'Running'] as const) {
      expect(() => requestResume({ phase }, record(), 'U_ALICE', now)).toThrow(RecordRefusal);
    }
  });
});

describe('readRequestForm', () => {
  const v = (o: Record<string, string | undefined>) => ({
    engine: { engine: { type: 'static_select', selected_option: o.engine ? { value: o.engine } : null } },
    database: { database: { type: 'plain_text_input', value: o.database ?? null } },
    version: { version: { type: 'plain_text_input', value: o.version ?? null } },
    channel: { channel: { type: 'channels_select', selected_channel: o.channel ?? null } },
    reason: { reason: { type: 'plain_text_input', value: o.reason ?? null } },
    at: { at: { type: 'plain_text_input', value: o.at ?? null } },
  });
  it('reads a good form like the slash command', () => {
    const r = readRequestForm(v({ engine: 'postgres', database: ' billing/ledger ', version: 'v16', channel: 'C1', reason: 'CVE', at: 'sat 02:00' }));
    expect(r.ok && { ...r.request, engine: r.request.engine.name }).toEqual({ engine: 'postgres', namespace: 'billing', name: 'ledger', version: '16', channel: 'C1', reason: 'CVE', at: 'sat 02:00' });
    const bare = readRequestForm(v({ engine: 'mysql', database: 'orders', version: '8.4', channel: 'C1' }));
    expect(bare.ok && bare.request).not.toHaveProperty('namespace');
  });
  it('gives one plain-text error per bad field, keyed by block_id', () => {
    const r = readRequestForm(v({ database: 'a/b/c', version: '8.4_1', reason: 'x'.repeat(501), at: 'y'.repeat(101) }));
    expect(r.ok).toBe(false);
    const e = (r as { errors: Record<string, string> }).errors;
    expect(Object.keys(e).sort()).toEqual(['at', 'channel', 'database', 'engine', 'reason', 'version']);
    expect(e.database).toBe('a/b/c is not a valid database: write name or namespace/name, e.g. billing/ledger.');
    expect(e.reason).toContain('501 characters');
    expect(Object.values(e).every((m) => !m.includes('`'))).toBe(true);
    expect(readRequestForm(undefined).ok).toBe(false);
    expect(readRequestForm(v({ engine: 'oracle', database: 'x', version: '1', channel: 'C' }))).toMatchObject({ ok: false, errors: { engine: 'Choose the database engine.' } });
  });
});

describe('Block Kit of the modal and the Home tab', () => {
  it('the modal passes Slack\'s view checks', () => {
    expect(validateView(requestModal())).toEqual([]);
    expect(validateView(requestModal({ channel: 'C1' }))).toEqual([]);
  });
  it('the Home tab stays within 100 blocks however many requests are in flight', () => {
    const many = Array.from({ length: 120 }, (_, i) => record({ name: `orders-${i}`, status: { phase: 'Pending' } }));
    const view = homeView(many, new Date('2026-12-01T03:00:00Z')) as { blocks: unknown[] };
    expect(validateView(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(JSON.stringify(view.blocks)).toContain(`…and ${120 - HOME_MAX_REQUESTS} more`);
    expect(JSON.stringify(homeView([], new Date()))).toContain('No update requests in flight');
  });
});

describe('threadPosts: the resume line', () => {
  it('appears once the leader has acted, keyed by the ask', () => {
    const r = record({ status: { phase: 'Failed', resume: { requestedBy: 'U_BOB', at: '2026-12-01T03:00:00.000Z', state: 'Requested' } } });
    expect(threadPosts(r).some((p) => p.key.startsWith('resume:'))).toBe(false);
    r.status!.resume = { ...r.status!.resume!, state: 'Succeeded', message: 'MySQL `demo/orders` resumed' };
    const post = threadPosts(r).find((p) => p.key === 'resume:2026-12-01T03:00:00.000Z');
    expect(post?.text).toBe(':arrow_forward: *Resumed* (asked by <@U_BOB>): MySQL `demo/orders` resumed');
    r.status!.resume = { ...r.status!.resume!, state: 'Refused', message: 'not paused <x>' };
    expect(threadPosts(r).find((p) => p.key.startsWith('resume:'))?.text).toBe(':warning: *Resume not done* (asked by <@U_BOB>): not paused &lt;x&gt;');
  });
});
