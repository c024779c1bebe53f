import { describe, expect, it } from 'vitest';
import { approve, cancel, expire, reject } from '../src/updates/state.js';
import { RecordRefusal } from '../src/updates/records.js';
import type { DatabaseUpdate, RecordStatus } from '../src/api/v1alpha1/databaseupdate.js';

const NOW = new Date('2026-11-23T10:00:00Z');

function record(over: Partial<DatabaseUpdate['spec']> = {}): DatabaseUpdate {
  return {
    apiVersion: 'dbupdate.dev/v1alpha1',
    kind: 'DatabaseUpdate',
    metadata: { name: 'orders-abcde', namespace: 'dbupdate' },
    spec: {
      engine: 'MySQL',
      database: { cluster: 'sim', namespace: 'demo', name: 'orders' },
      requestedVersion: '8.4',
      fromVersion: '8.0.35',
      targetVersion: '8.4.3',
      updateType: 'minor',
      backend: 'ops-request',
      requester: 'U_ALICE',
      channel: 'C1',
      expiresAt: '2026-11-24T10:00:00Z',
      approvers: ['U_BOB', 'U_CAROL'],
      approvalsRequired: 1,
      ...over,
    },
  };
}

describe('approve', () => {
  it('one approval of one needed makes it Approved', () => {
    const st: RecordStatus = {};
    expect(approve(st, record(), 'U_BOB', NOW, false)).toBe(true);
    expect(st.phase).toBe('Approved');
    expect(st.approvals).toEqual([{ user: 'U_BOB', at: NOW.toISOString() }]);
  });
  it('two needed: the first keeps it Pending, a duplicate click is a no-op, the second approves', () => {
    const r = record({ approvalsRequired: 2 });
    const st: RecordStatus = {};
    approve(st, r, 'U_BOB', NOW, false);
    expect(st.phase).toBe('Pending');
    expect(approve(st, r, 'U_BOB', NOW, false)).toBe(false);
    expect(st.approvals).toHaveLength(1);
    approve(st, r, 'U_CAROL', NOW, false);
    expect(st.phase).toBe('Approved');
  });
  it('refuses self-approval, outsiders, and finished requests', () => {
    expect(() => approve({}, record({ approvers: ['U_ALICE', 'U_BOB'] }), 'U_ALICE', NOW, false)).toThrow(/own request/);
    expect(() => approve({}, record(), 'U_DAVE', NOW, false)).toThrow(RecordRefusal);
    expect(() => approve({}, record(), 'U_DAVE', NOW, false)).toThrow(/not an approver/);
    expect(() => approve({ phase: 'Rejected' }, record(), 'U_BOB', NOW, false)).toThrow(/already rejected/);
  });
  it('refuses an approval after the request expired, even before the expiry check marked it', () => {
    expect(() => approve({}, record({ expiresAt: '2026-11-23T09:59:59Z' }), 'U_BOB', NOW, false)).toThrow(/expired/);
  });
  it('self-approval is allowed when the policy says so', () => {
    const st: RecordStatus = {};
    expect(approve(st, record({ approvers: ['U_ALICE'] }), 'U_ALICE', NOW, true)).toBe(true);
  });
});

describe('reject, cancel, expire', () => {
  it('reject records who and why', () => {
    const st: RecordStatus = {};
    reject(st, record(), 'U_CAROL', 'not during the sale', NOW);
    expect(st).toMatchObject({ phase: 'Rejected', rejection: { user: 'U_CAROL', reason: 'not during the sale' } });
    expect(() => reject({}, record(), 'U_DAVE', 'x', NOW)).toThrow(/not an approver/);
  });
  it('cancel by requester before running; refused while running', () => {
    const st: RecordStatus = { phase: 'Approved' };
    expect(cancel(st, record(), 'U_ALICE', NOW)).toBe(true);
    expect(st.phase).toBe('Cancelled');
    expect(() => cancel({ phase: 'Running' }, record(), 'U_ALICE', NOW)).toThrow(/already running/);
    expect(() => cancel({}, record(), 'U_DAVE', NOW)).toThrow(/Only the requester/);
  });
  it('expire only when due and pending', () => {
    expect(expire({}, record(), NOW)).toBe(false);
    const st: RecordStatus = {};
    expect(expire(st, record({ expiresAt: '2026-11-23T09:00:00Z' }), NOW)).toBe(true);
    expect(st.phase).toBe('Expired');
    expect(expire({ phase: 'Approved' }, record({ expiresAt: '2026-11-23T09:00:00Z' }), NOW)).toBe(false);
  });
});
