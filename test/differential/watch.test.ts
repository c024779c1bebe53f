/**
 * Differential group `watch`: watch event sequences (initial ADDED events, a replay from a
 * resourceVersion, selectors turning changes into ADDED/DELETED), bookmarks (`allowWatchBookmarks`,
 * the bookmark before `timeoutSeconds` runs out, `sendInitialEvents` ending in the
 * `k8s.io/initial-events-end` bookmark), 410 Gone (an ERROR event) for a too-old resourceVersion,
 * and the parameter errors. Events are compared as `TYPE Kind name` in order.
 */
import type { Op, Saved } from './harness.js';
import { CR_GROUP, crdSetup, crdTeardown } from './kinds.js';
import { defineGroup } from './runner.js';

const CM = '/api/v1/namespaces/{ns}/configmaps';
const W = `/apis/${CR_GROUP}/v1/namespaces/{ns}/widgets`;
const cm = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });
const OBJ = ['metadata.name', 'metadata.labels'];

function watch(): Op[] {
  const ops: Op[] = [...crdSetup('watch')];
  ops.push(
    { id: 'watch/create-a', method: 'POST', path: CM, body: cm('a', { app: 'x' }), pick: OBJ, save: { rvA: 'metadata.resourceVersion' } },
    { id: 'watch/create-b', method: 'POST', path: CM, body: cm('b', { app: 'y' }), pick: OBJ },
    { id: 'watch/list', method: 'GET', path: CM, pick: ['items[].metadata.name'], save: { rvList: 'metadata.resourceVersion' } },
    // Without a resourceVersion (or with 0) the watch starts with an ADDED event per existing object.
    { id: 'watch/initial-no-rv', method: 'GET', path: `${CM}?watch=1`, watch: { ms: 1500, events: 2 } },
    { id: 'watch/initial-rv-0', method: 'GET', path: `${CM}?watch=1&resourceVersion=0`, watch: { ms: 1500, events: 2 } },
    // From a resourceVersion: only what happened after it, then what happens during the watch.
    { id: 'watch/replay-from-a', method: 'GET', path: (s: Saved) => `${CM}?watch=1&resourceVersion=${s.rvA}`, watch: { ms: 1500, events: 1 } },
    {
      id: 'watch/live-sequence',
      method: 'GET',
      path: (s: Saved) => `${CM}?watch=1&resourceVersion=${s.rvList}`,
      watch: {
        ms: 4000,
        events: 4,
        during: [
          { id: 'watch/live-sequence/create', method: 'POST', path: CM, body: cm('c') },
          { id: 'watch/live-sequence/patch', method: 'PATCH', path: `${CM}/c`, body: { data: { b: '2' } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/live-sequence/noop', method: 'PATCH', path: `${CM}/c`, body: { data: { b: '2' } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/live-sequence/dry-run', method: 'PATCH', path: `${CM}/c?dryRun=All`, body: { data: { b: '3' } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/live-sequence/delete', method: 'DELETE', path: `${CM}/c` },
          { id: 'watch/live-sequence/create-d', method: 'POST', path: CM, body: cm('d') },
        ],
      },
    },
    { id: 'watch/list-2', method: 'GET', path: CM, pick: ['items[].metadata.name'], save: { rvList2: 'metadata.resourceVersion' } },
    // Selectors: an object entering the selection is ADDED, one leaving it DELETED.
    {
      id: 'watch/label-selector-transitions',
      method: 'GET',
      path: (s: Saved) => `${CM}?watch=1&labelSelector=app%3Dx&resourceVersion=${s.rvList2}`,
      watch: {
        ms: 4000,
        events: 3,
        during: [
          { id: 'watch/label/b-enters', method: 'PATCH', path: `${CM}/b`, body: { metadata: { labels: { app: 'x' } } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/label/a-leaves', method: 'PATCH', path: `${CM}/a`, body: { metadata: { labels: { app: 'z' } } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/label/b-changes', method: 'PATCH', path: `${CM}/b`, body: { data: { q: '1' } }, contentType: 'application/merge-patch+json' },
        ],
      },
    },
    { id: 'watch/field-selector-name', method: 'GET', path: `${CM}?watch=1&fieldSelector=metadata.name%3Db`, watch: { ms: 1500, events: 1 } },
    { id: 'watch/label-selector-initial', method: 'GET', path: `${CM}?watch=1&labelSelector=app%3Dx`, watch: { ms: 1500, events: 1 } },
    { id: 'watch/bad-label-selector', method: 'GET', path: `${CM}?watch=1&labelSelector=a%3D%3D%3Db`, watch: { ms: 1500 } },
    { id: 'watch/bad-field-selector', method: 'GET', path: `${CM}?watch=1&fieldSelector=spec.nope%3Da`, watch: { ms: 1500 } },
    { id: 'watch/bad-resource-version', method: 'GET', path: `${CM}?watch=1&resourceVersion=abc`, watch: { ms: 1500 } },
    // Bookmarks: with allowWatchBookmarks a BOOKMARK comes shortly before timeoutSeconds ends the watch.
    { id: 'watch/timeout-ends-stream', method: 'GET', path: (s: Saved) => `${CM}?watch=1&timeoutSeconds=1&resourceVersion=${s.rvList2}`, watch: { ms: 4000 } },
    { id: 'watch/bookmark-before-timeout', method: 'GET', path: `${CM}?watch=1&allowWatchBookmarks=true&timeoutSeconds=3&resourceVersion=0&labelSelector=app%3Dnone`, watch: { ms: 6000 } },
    { id: 'watch/no-bookmark-unasked', method: 'GET', path: `${CM}?watch=1&timeoutSeconds=3&resourceVersion=0&labelSelector=app%3Dnone`, watch: { ms: 6000 } },
    // WatchList: the initial state as ADDED events, then the initial-events-end bookmark.
    { id: 'watch/send-initial-events', method: 'GET', path: `${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`, watch: { ms: 2500, events: 4 } },
    { id: 'watch/send-initial-events-no-bookmarks', method: 'GET', path: `${CM}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`, watch: { ms: 1500 } },
    { id: 'watch/send-initial-events-no-match', method: 'GET', path: `${CM}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true`, watch: { ms: 1500 } },
    { id: 'watch/send-initial-events-list', method: 'GET', path: `${CM}?sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true` },
    { id: 'watch/rv-match-without-rv', method: 'GET', path: `${CM}?resourceVersionMatch=NotOlderThan` },
    { id: 'watch/rv-match-exact-list', method: 'GET', path: (s: Saved) => `${CM}?resourceVersion=${s.rvList2}&resourceVersionMatch=Exact`, pick: ['items[].metadata.name'] },
    { id: 'watch/rv-match-bad', method: 'GET', path: `${CM}?resourceVersion=0&resourceVersionMatch=Sometimes` },
    { id: 'watch/list-bad-rv', method: 'GET', path: `${CM}?resourceVersion=abc`, message: true },
    { id: 'watch/bad-resource-version-message', method: 'GET', path: `${CM}?watch=1&resourceVersion=abc`, message: true },
    // 410 Gone: a resourceVersion older than the history (after an etcd compaction on the real server, Store.compact on the emulator).
    { id: 'watch/widget-rv-1-before-compaction', method: 'GET', path: `${W}?watch=1&resourceVersion=1`, watch: { ms: 2000, events: 1 } },
    { id: 'watch/too-old-rv', method: 'GET', path: `${W}?watch=1&resourceVersion=1`, compactFirst: true, watch: { ms: 2000, events: 1 } },
    { id: 'watch/too-old-rv-bookmarks', method: 'GET', path: `${W}?watch=1&allowWatchBookmarks=true&resourceVersion=1`, watch: { ms: 2000, events: 1 } },
    { id: 'watch/configmap-rv-1-after-compaction', method: 'GET', path: `${CM}?watch=1&resourceVersion=1`, watch: { ms: 2000, events: 1 } },
    // A compacted resourceVersion the watch cache still holds events after is served from the cache.
    { id: 'watch/compacted-rv-in-cache', method: 'GET', path: (s: Saved) => `${CM}?watch=1&resourceVersion=${s.rvA}`, watch: { ms: 2000, events: 1 } },
    { id: 'watch/too-old-rv-list-not-older', method: 'GET', path: (s: Saved) => `${CM}?resourceVersion=${s.rvA}&resourceVersionMatch=NotOlderThan`, pick: ['items[].metadata.name'] },
    { id: 'watch/too-old-rv-list-exact', method: 'GET', path: (s: Saved) => `${CM}?resourceVersion=${s.rvA}&resourceVersionMatch=Exact`, message: true },
    { id: 'watch/list-after-compaction', method: 'GET', path: CM, pick: ['items[].metadata.name'], save: { rvList3: 'metadata.resourceVersion' } },
    { id: 'watch/watch-after-compaction', method: 'GET', path: (s: Saved) => `${CM}?watch=1&resourceVersion=${s.rvList3}`, watch: { ms: 2500, events: 1, during: [{ id: 'watch/after/create', method: 'POST', path: CM, body: cm('e') }] } },
    // Custom resources: status writes are MODIFIED events too.
    { id: 'watch/widget-create', method: 'POST', path: W, body: { apiVersion: `${CR_GROUP}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 'small' } }, pick: ['metadata.name'], save: { rvW: 'metadata.resourceVersion' } },
    {
      id: 'watch/widget-status-sequence',
      method: 'GET',
      path: (s: Saved) => `${W}?watch=1&resourceVersion=${s.rvW}`,
      watch: {
        ms: 4000,
        events: 3,
        during: [
          { id: 'watch/widget/status', method: 'PATCH', path: `${W}/w/status`, body: { status: { phase: 'Ready' } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/widget/spec', method: 'PATCH', path: `${W}/w`, body: { spec: { size: 'large' } }, contentType: 'application/merge-patch+json' },
          { id: 'watch/widget/delete', method: 'DELETE', path: `${W}/w` },
        ],
      },
    },
    { id: 'watch/all-namespaces', method: 'GET', path: `/api/v1/configmaps?watch=1&labelSelector=app%3Dx`, watch: { ms: 1500, events: 1 } },
    { id: 'watch/named-object', method: 'GET', path: `${CM}/b?watch=1`, watch: { ms: 1500, events: 1 } },
    { id: 'watch/legacy-watch-path', method: 'GET', path: '/api/v1/watch/namespaces/{ns}/configmaps?labelSelector=app%3Dx', watch: { ms: 1500, events: 1 } },
    ...crdTeardown('watch'),
  );
  return ops;
}

defineGroup('watch', watch());
