import { describe, expect, it } from 'vitest';
import { plannedSteps, progressFromOpsRequest } from '../src/pipeline/ops-steps.js';
import type { OpsRequestObject } from '../src/kube/kubedb.js';

const NOW = '2026-11-23T10:00:00.000Z';

function ops(phase: string, types: Array<[string, string?, string?]>): OpsRequestObject {
  return {
    apiVersion: 'ops.kubedb.com/v1alpha1',
    kind: 'MySQLOpsRequest',
    metadata: { name: 'x', namespace: 'demo' },
    spec: { type: 'UpdateVersion', databaseRef: { name: 'orders' }, updateVersion: { targetVersion: '8.4.3' } },
    status: {
      phase,
      conditions: types.map(([type, status = 'True', reason], i) => ({
        type,
        status,
        reason: reason ?? type,
        message: `${type} message`,
        lastTransitionTime: `2026-11-23T09:00:0${i}Z`,
      })),
    },
  };
}

describe('progressFromOpsRequest', () => {
  const planned = plannedSteps(false);

  it('plans pre-update only when asked', () => {
    expect(plannedSteps(true)).toEqual(['paused', 'pre-update', 'images', 'checks', 'resumed']);
    expect(planned).toEqual(['paused', 'images', 'checks', 'resumed']);
  });

  it('a Pending OpsRequest leaves every step Pending', () => {
    const p = progressFromOpsRequest(ops('Pending', []), planned, [], NOW);
    expect(p.steps.map((s) => s.state)).toEqual(['Pending', 'Pending', 'Pending', 'Pending']);
    expect(p.outcome).toBeUndefined();
  });

  it('a pause condition finishes paused and starts images', () => {
    const p = progressFromOpsRequest(ops('Progressing', [['DatabasePauseSucceeded']]), planned, [], NOW);
    expect(p.steps.map((s) => s.state)).toEqual(['Succeeded', 'Running', 'Pending', 'Pending']);
    expect(p.steps[0].finishedAt).toBe('2026-11-23T09:00:00.000Z');
    expect(p.lastCondition?.type).toBe('DatabasePauseSucceeded');
  });

  it('a later condition implies the earlier steps', () => {
    const p = progressFromOpsRequest(ops('Progressing', [['UpdatePetSetsSucceeded']]), planned, [], NOW);
    expect(p.steps.map((s) => s.state)).toEqual(['Succeeded', 'Succeeded', 'Running', 'Pending']);
  });

  it('Successful finishes every step', () => {
    const p = progressFromOpsRequest(ops('Successful', [['DatabasePauseSucceeded'], ['UpdatePetSets']]), planned, [], NOW);
    expect(p.outcome).toBe('Succeeded');
    expect(p.steps.every((s) => s.state === 'Succeeded')).toBe(true);
  });

  it('Failed names the failing step with KubeDB reason and message', () => {
    const p = progressFromOpsRequest(
      ops('Failed', [['DatabasePauseSucceeded'], ['UpdatePetSetsFailed', 'False', 'PodNotReady']]),
      planned,
      [],
      NOW,
    );
    expect(p.outcome).toBe('Failed');
    expect(p.failure).toEqual({ step: 'images', reason: 'PodNotReady', message: 'UpdatePetSetsFailed message' });
    expect(p.steps.map((s) => s.state)).toEqual(['Succeeded', 'Failed', 'Pending', 'Pending']);
  });

  it('an unknown condition is kept as the last cluster condition, not dropped', () => {
    const p = progressFromOpsRequest(ops('Progressing', [['SomethingNew', 'True', 'Whatever']]), planned, [], NOW);
    expect(p.lastCondition).toEqual({ type: 'SomethingNew', reason: 'Whatever', message: 'SomethingNew message' });
    expect(p.steps[0].state).toBe('Running');
  });

  it('keeps start times already recorded', () => {
    const prev = [{ name: 'paused' as const, state: 'Running' as const, startedAt: '2026-11-23T08:59:59.000Z' }];
    const p = progressFromOpsRequest(ops('Progressing', [['DatabasePauseSucceeded']]), planned, prev, NOW);
    expect(p.steps[0].startedAt).toBe('2026-11-23T08:59:59.000Z');
  });
});
