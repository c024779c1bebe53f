/**
 * Which requests a user may see: one rule for `/dbupdate list`, `status`, the Home tab, `resume` and
 * `retry` (a request the user may not see is answered as one that does not exist). Pure.
 */
import { mayRequest, resolvePolicy } from '../policy/rules.js';
import type { Config } from '../policy/config.js';
import type { DatabaseUpdate } from '../api/v1alpha1/databaseupdate.js';
import type { DatabaseUpdateBatch } from '../api/v1alpha1/databaseupdatebatch.js';

/**
 * Whether `user` may see `r`: they requested it or may approve it, or they could have requested it under
 * the policy (in `channel`; the Home tab has no channel, so a policy that allows requests only in some
 * channels shows its requests there only to those who have a part in them).
 */
export function maySee(r: DatabaseUpdate, config: Config, user: string, channel = ''): boolean {
  if (r.spec.requester === user || r.spec.approvers.includes(user)) return true;
  const d = r.spec.database;
  const policy = resolvePolicy(config, { cluster: d.cluster, namespace: d.namespace, engine: r.spec.engine.toLowerCase() });
  return mayRequest(policy, { user, userGroups: [], channel }).ok;
}

/** The records `user` may see ({@link maySee}), in their order. */
export function visibleTo(records: DatabaseUpdate[], config: Config, user: string, channel = ''): DatabaseUpdate[] {
  return records.filter((r) => maySee(r, config, user, channel));
}

/**
 * Whether `user` may see fleet batch `b`: they requested it or may approve it, or they could have
 * requested an update of one of its members under the policy (in `channel`), as {@link maySee} for a record.
 */
export function maySeeBatch(b: DatabaseUpdateBatch, config: Config, user: string, channel = ''): boolean {
  if (b.spec.requester === user || b.spec.approvers.includes(user)) return true;
  return b.spec.members.some((m) => mayRequest(resolvePolicy(config, { cluster: b.spec.cluster, namespace: m.namespace, engine: b.spec.engine.toLowerCase() }), { user, userGroups: [], channel }).ok);
}
