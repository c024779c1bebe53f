/**
 * The pure parts of src/pipeline/coordinator.ts: the requests Ops Manager's raft client sends
 * (kubedb/apimachinery vendor/go.etcd.io/etcd/raft/v3/raft_client.go), the reading of pg-coordinator's
 * answers (pkg/utils/raft/runtime/httpapi.go), and which databases need the failover paused.
 */
import { describe, expect, it } from 'vitest';
import {
  answerError,
  authSecretName,
  coordinatorPort,
  getRequest,
  manualCommand,
  needsFailoverPause,
  parseGetAnswer,
  requestHeaders,
  setRequest,
  CoordinatorError,
} from '../src/pipeline/coordinator.js';
import { findEngine } from '../src/engines/table.js';

describe('pg-coordinator requests and answers', () => {
  it('builds POST /set and GET /get with JSON bodies, basic auth and one request per connection', () => {
    const set = setRequest('Coordinator/Status', 'Pause');
    expect(set).toEqual({ method: 'POST', path: '/set', body: '{"key":"Coordinator/Status","value":"Pause"}' });
    expect(getRequest('Coordinator/Status')).toEqual({ method: 'GET', path: '/get', body: '{"key":"Coordinator/Status"}' });
    expect(requestHeaders(set, { username: 'postgres', password: 'p:ss' })).toEqual({
      'Content-Type': 'application/json; charset=UTF-8',
      Authorization: `Basic ${Buffer.from('postgres:p:ss').toString('base64')}`,
      'Content-Length': String(set.body.length),
      Connection: 'close',
    });
  });

  it('reads /get answers: the value, undefined for 404 key not found, errors otherwise', () => {
    expect(parseGetAnswer(200, '{"key":"Coordinator/Status","value":"Pause"}\n')).toBe('Pause');
    expect(parseGetAnswer(404, 'key not found')).toBeUndefined();
    expect(() => parseGetAnswer(200, 'oops')).toThrow(/not JSON/);
    expect(() => parseGetAnswer(200, '{"key":"Coordinator/Status"}')).toThrow(/without a value/);
    const unauthorized = (() => {
      try {
        parseGetAnswer(401, '{}\n');
      } catch (e) {
        return e as CoordinatorError;
      }
    })();
    expect(unauthorized).toMatchObject({ reason: 'CoordinatorUnauthorized', retryable: false, sent: false });
  });

  it('a 5xx answer is retryable and, for a set, may have been applied; a 4xx is neither', () => {
    expect(answerError(503, 'raft not ready', true)).toMatchObject({ retryable: true, sent: true });
    expect(answerError(400, "key or value can't be empty\n", true)).toMatchObject({ retryable: false, sent: false, message: "pg-coordinator answered HTTP 400: key or value can't be empty" });
  });

  it('pauses only Postgres with standbys and a pg-coordinator container; the port comes from `coordinatclient`', () => {
    const pg = findEngine('postgres')!;
    const containers = [{ name: 'postgres' }, { name: 'pg-coordinator', ports: [{ name: 'coordinator', containerPort: 2380 }, { name: 'coordinatclient', containerPort: 2379 }] }];
    expect(needsFailoverPause(pg, containers, 3)).toBe(true);
    expect(needsFailoverPause(pg, containers, 1)).toBe(false);
    expect(needsFailoverPause(pg, [{ name: 'postgres' }], 3)).toBe(false);
    expect(needsFailoverPause(findEngine('mysql')!, [{ name: 'mysql' }, { name: 'mysql-coordinator' }], 3)).toBe(false);
    expect(coordinatorPort(containers)).toBe(2379);
    expect(coordinatorPort([{ name: 'pg-coordinator', ports: [{ name: 'coordinatclient', containerPort: 12379 }] }])).toBe(12379);
    expect(coordinatorPort([{ name: 'pg-coordinator' }])).toBe(2379);
  });

  it('names the auth Secret as KubeDB does and gives a manual command to resume', () => {
    expect(authSecretName({ metadata: { name: 'ledger' } })).toBe('ledger-auth');
    expect(authSecretName({ metadata: { name: 'ledger' }, spec: { authSecret: { name: 'custom' } } })).toBe('custom');
    const cmd = manualCommand('billing', 'ledger-0', 2379, 'ledger-auth', 'Resume');
    expect(cmd).toContain('kubectl port-forward -n billing pod/ledger-0 2379');
    expect(cmd).toContain(`-X POST localhost:2379/set -d '{"key":"Coordinator/Status","value":"Resume"}'`);
  });
});
