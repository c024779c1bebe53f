/** Placeholder until the direct pipeline lands (being written now); fails the update with a clear message. */
import type { DirectInput, DirectResult } from './direct-types.js';

/** See `direct-types.ts`. */
export async function directPass(input: DirectInput): Promise<DirectResult> {
  return { steps: input.record.status?.steps ?? [], direct: {}, outcome: 'Failed', message: 'The direct pipeline is not available yet: install KubeDB Ops Manager.' };
}
