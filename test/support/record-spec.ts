/**
 * A `DatabaseUpdate` spec valid against deploy/crd-databaseupdate.yaml, for tests that write records
 * directly (the emulator validates custom resources by their CRD's schema, as a real API server does).
 */
export const VALID_RECORD_SPEC = {
  engine: 'MySQL',
  database: { cluster: 'sim', namespace: 'demo', name: 'orders' },
  requestedVersion: '8.4',
  fromVersion: '8.0.35',
  targetVersion: '8.4.3',
  updateType: 'minor',
  backend: 'ops-request',
  requester: 'U_ALICE',
  channel: 'C_DBOPS',
  expiresAt: '2026-11-24T00:00:00Z',
  approvers: ['U_BOB'],
  approvalsRequired: 1,
} as const;
