/**
 * Differential group `pagination`: `limit`/`continue` chunks of a list (items, `remainingItemCount`, the
 * last chunk without a token), with selectors, at `resourceVersion=0`, errors of malformed tokens and
 * parameters, and an expired continue token (410 after an etcd compaction on the real server,
 * Store.compact on the emulator).
 */
import type { Op, Saved } from './harness.js';
import { defineGroup } from './runner.js';

const CM = '/api/v1/namespaces/{ns}/configmaps';
const cm = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });
const PAGE = ['kind', 'items[].metadata.name', 'metadata.remainingItemCount'];
/** The continue token decoded (its resourceVersion masked): version and start key. */
const token = (b: { metadata: { continue?: string } }) => {
  if (!b.metadata.continue) return 'none';
  const t = JSON.parse(Buffer.from(b.metadata.continue, 'base64url').toString('utf8')) as { v: string; start: string };
  return { v: t.v, start: t.start };
};

function pagination(): Op[] {
  const ops: Op[] = [];
  for (let i = 1; i <= 7; i++) ops.push({ id: `pagination/create-${i}`, method: 'POST', path: CM, body: cm(`p${i}`, { odd: String(i % 2 === 1) }), pick: ['metadata.name'] });
  ops.push(
    { id: 'pagination/limit-3', method: 'GET', path: `${CM}?limit=3`, pick: PAGE, probe: { token }, save: { c1: 'metadata.continue', rv1: 'metadata.resourceVersion' } },
    { id: 'pagination/create-during', method: 'POST', path: CM, body: cm('p0', { odd: 'false' }), pick: ['metadata.name'] },
    // A continued list is a consistent snapshot at the first chunk's resourceVersion: p0, created since, is not in it.
    { id: 'pagination/continue-1', method: 'GET', path: (s: Saved) => `${CM}?limit=3&continue=${encodeURIComponent(String(s.c1))}`, pick: PAGE, save: { c2: 'metadata.continue' }, probe: { token, sameRv: (b, s) => b.metadata.resourceVersion === s.rv1 } },
    { id: 'pagination/continue-last', method: 'GET', path: (s: Saved) => `${CM}?limit=3&continue=${encodeURIComponent(String(s.c2))}`, pick: PAGE, probe: { token } },
    { id: 'pagination/limit-larger-than-list', method: 'GET', path: `${CM}?limit=50`, pick: PAGE, probe: { token } },
    { id: 'pagination/limit-0', method: 'GET', path: `${CM}?limit=0`, pick: PAGE, probe: { token } },
    { id: 'pagination/limit-negative', method: 'GET', path: `${CM}?limit=-1`, pick: PAGE, probe: { token } },
    { id: 'pagination/limit-not-a-number', method: 'GET', path: `${CM}?limit=abc`, pick: PAGE, probe: { token }, message: true },
    { id: 'pagination/limit-with-label-selector', method: 'GET', path: `${CM}?limit=2&labelSelector=odd%3Dtrue`, pick: PAGE, probe: { token }, save: { cs: 'metadata.continue' } },
    { id: 'pagination/continue-with-label-selector', method: 'GET', path: (s: Saved) => `${CM}?limit=2&labelSelector=odd%3Dtrue&continue=${encodeURIComponent(String(s.cs))}`, pick: PAGE, probe: { token } },
    { id: 'pagination/limit-with-field-selector', method: 'GET', path: `${CM}?limit=1&fieldSelector=metadata.name%21%3Dp1`, pick: PAGE, probe: { token } },
    { id: 'pagination/limit-rv-0', method: 'GET', path: `${CM}?limit=2&resourceVersion=0`, pick: ['kind', 'items[].metadata.name'] },
    { id: 'pagination/continue-bad-token', method: 'GET', path: `${CM}?limit=2&continue=notatoken`, message: true },
    { id: 'pagination/continue-bad-json', method: 'GET', path: `${CM}?limit=2&continue=${Buffer.from('{"v":"meta.k8s.io/v1"').toString('base64')}`, message: true },
    { id: 'pagination/continue-wrong-version', method: 'GET', path: `${CM}?limit=2&continue=${Buffer.from('{"v":"meta.k8s.io/v0","rv":5,"start":"p1"}').toString('base64')}`, message: true },
    { id: 'pagination/continue-with-rv', method: 'GET', path: (s: Saved) => `${CM}?limit=2&resourceVersion=${s.rv1}&continue=${encodeURIComponent(String(s.c1))}`, message: true },
    { id: 'pagination/continue-with-rv-match', method: 'GET', path: (s: Saved) => `${CM}?limit=2&resourceVersionMatch=NotOlderThan&continue=${encodeURIComponent(String(s.c1))}` },
    { id: 'pagination/all-namespaces-limit', method: 'GET', path: '/api/v1/configmaps?limit=1&labelSelector=odd%3Dtrue', pick: ['kind', 'items[].metadata.name'], probe: { hasContinue: (b) => typeof b.metadata.continue === 'string' } },
    { id: 'pagination/table-limit', method: 'GET', path: `${CM}?limit=2`, headers: { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' }, pick: ['kind', 'rows[].cells', 'metadata.remainingItemCount'] },
    { id: 'pagination/limit-4-again', method: 'GET', path: `${CM}?limit=4`, pick: PAGE, probe: { token }, save: { c3: 'metadata.continue' } },
    { id: 'pagination/write-after-token', method: 'DELETE', path: `${CM}/p7`, pick: ['kind'] },
    // etcd compaction: a token from before it is too old (410 Expired, with a fresh token to restart from).
    { id: 'pagination/continue-after-compaction', method: 'GET', path: (s: Saved) => `${CM}?limit=4&continue=${encodeURIComponent(String(s.c3))}`, compactFirst: true, message: true, pick: PAGE, probe: { token } },
    { id: 'pagination/list-after-compaction', method: 'GET', path: `${CM}?limit=4`, pick: PAGE, probe: { token } },
  );
  return ops;
}

defineGroup('pagination', pagination());
