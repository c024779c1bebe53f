/**
 * Defines one group of the differential suite as a vitest `describe`: the emulator is started for the
 * group, the real kube-apiserver is the run's shared control plane (envtest), each gets the group's own
 * namespace (same name on both, masked as `{ns}` in the comparison), then every operation is sent to
 * both in order and the verdicts are compared with the known-differences list ({@link KNOWN}).
 * The test fails on a disagreement not listed, and on a listed one that now agrees (a stale entry).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiServer } from '../../sim/kube/server.js';
import { agree, answerOf, perform, writeVerdicts, type Backend, type Masks, type Op, type Verdict } from './harness.js';
import { KNOWN } from './known.js';
import { compactRealEtcd, realControlPlane } from './real.js';

/** Options of {@link defineGroup}. */
export interface GroupOptions {
  /** Run on each backend before the operations (e.g. install CRDs through client-node), with its admin KubeConfig. */
  prepare?: (kubeConfig: KubeConfig) => Promise<unknown>;
}

/** Describe and run a group of operations against both backends. */
export function defineGroup(group: string, ops: Op[], opts: GroupOptions = {}): void {
  describe(`differential: ${group}`, () => {
    let emulator: KubeApiServer;
    let real: Backend;
    let emu: Backend;
    const masks: Masks = { namespace: `d-${group}-${randomBytes(3).toString('hex')}` };
    const verdicts: Verdict[] = [];
    const setup: Op[] = [
      { id: 'setup/namespace', method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: '{ns}' } } },
    ];

    beforeAll(async () => {
      emulator = await KubeApiServer.start({ rbac: true });
      const ekc = new KubeConfig();
      ekc.loadFromString(emulator.kubeconfigYaml());
      // The emulator keeps no etcd: its history is its watch cache, which a compaction leaves as the real server's cache.
      emu = { name: 'emulator', kubeConfig: ekc, saved: {}, compact: async () => undefined };
      real = { name: 'real', kubeConfig: await realControlPlane(), saved: {}, compact: compactRealEtcd };
      for (const b of [real, emu]) {
        if (opts.prepare) await opts.prepare(b.kubeConfig);
        for (const op of setup) {
          const r = await perform(b, op, masks);
          if (r.code >= 300) throw new Error(`${b.name}: ${op.id} answered ${r.code}: ${JSON.stringify(r.body)}`);
        }
      }
    }, 90_000);

    afterAll(async () => {
      writeVerdicts(group, verdicts);
      if (real) await perform(real, { id: 'teardown', method: 'DELETE', path: '/api/v1/namespaces/{ns}' }, masks).catch(() => undefined);
      await emulator?.stop();
    });

    it(`sends ${ops.length} operations to both servers; every disagreement is a listed known difference`, async () => {
      const ids = new Set<string>();
      for (const op of ops) {
        if (ids.has(op.id)) throw new Error(`duplicate operation id ${op.id}`);
        ids.add(op.id);
        const r = answerOf(op, await perform(real, op, masks), masks);
        const e = answerOf(op, await perform(emu, op, masks), masks);
        verdicts.push({ id: op.id, group, agree: agree(r, e), real: r, emulator: e, ...(KNOWN[op.id] ? { known: KNOWN[op.id] } : {}) });
      }
      const unlisted = verdicts.filter((v) => !v.agree && !v.known).map((v) => `${v.id}\n  real:     ${JSON.stringify(v.real)}\n  emulator: ${JSON.stringify(v.emulator)}`);
      const stale = verdicts.filter((v) => v.agree && v.known).map((v) => v.id);
      expect(unlisted.join('\n'), 'disagreements not in known.ts').toBe('');
      expect(stale, 'known differences that now agree (remove them from known.ts)').toEqual([]);
    }, 300_000);
  });
}
