import { describe, expect, it } from 'vitest';
import { routeFor, unionPattern } from '../src/slack/listeners/router.js';

describe('listener router (one Bolt registration per kind)', () => {
  it('matches exactly the ids registered, strings literally', () => {
    const p = unionPattern(['dbupdate_approve', /^batch_(resume|abort)$/, 'drift.request']);
    for (const id of ['dbupdate_approve', 'batch_resume', 'batch_abort', 'drift.request']) expect(p.test(id)).toBe(true);
    for (const id of ['dbupdate_approve_x', 'xdbupdate_approve', 'batch_resumed', 'driftXrequest', '']) expect(p.test(id)).toBe(false);
  });

  it('hands an id to the first listener registered for it, and to none when nothing matches', async () => {
    const seen: string[] = [];
    const routes = [
      { id: 'a', listener: async (id: string) => void seen.push(`a:${id}`) },
      { id: /^b/, listener: async (id: string) => void seen.push(`b:${id}`) },
      { id: 'bb', listener: async (id: string) => void seen.push(`bb:${id}`) },
    ];
    await routeFor(routes, 'a')?.listener('a');
    await routeFor(routes, 'bb')?.listener('bb');
    expect(routeFor(routes, 'c')).toBeUndefined();
    expect(seen).toEqual(['a:a', 'b:bb']);
  });
});
