/**
 * One update per database at a time, made atomic: a `coordination.k8s.io/v1` Lease per database in the
 * records namespace, named `dbu-<16 hex of sha256(cluster/namespace/engine/name)>`, whose
 * `holderIdentity` is the name of the `DatabaseUpdate` that holds the database. Creating the Lease is the
 * atomic step (a second create gets 409 AlreadyExists); a Lease whose holder is finished or missing is
 * taken over with a resourceVersion-guarded replace. Nothing releases it: a finished holder is simply
 * not active any more.
 */
import { createHash } from 'node:crypto';
import type { Kube } from './client.js';
import { isConflict } from './errors.js';
import { microTime } from './lease.js';
import { leases } from './resources.js';

/** How long a lock whose holder record does not exist yet still counts as held (the record is being created), ms. */
const LOCK_GRACE_MS = 60_000;

/** What became of the record a lock names. */
export type HolderState = 'active' | 'finished' | 'missing';

/** The Lease name for a database. */
export function lockName(cluster: string, namespace: string, engine: string, name: string): string {
  return `dbu-${createHash('sha256').update(`${cluster}/${namespace}/${engine}/${name}`).digest('hex').slice(0, 16)}`;
}

/**
 * Take the database's lock for `holder` (a record name).
 * @param holderState what became of the record named in the Lease: `active` holds the database; a
 *   `missing` one holds it for {@link LOCK_GRACE_MS} after the Lease was taken (its record is being created).
 * @returns `{ok: true}`, or `{ok: false, holder}` naming the active record that holds it.
 * @throws API errors other than 409 (and after a second 409 in a row).
 */
export async function acquireDatabaseLock(
  kube: Kube,
  namespace: string,
  name: string,
  holder: string,
  holderState: (holder: string) => Promise<HolderState>,
  now: () => Date = () => new Date(),
): Promise<{ ok: true } | { ok: false; holder: string }> {
  const api = leases(kube);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await api.create({ metadata: { name, namespace }, spec: { holderIdentity: holder, acquireTime: microTime(now()) as never } });
      return { ok: true };
    } catch (err) {
      if (!isConflict(err)) throw err;
    }
    const lease = await api.get(namespace, name);
    if (!lease) continue; // deleted (by retention) since the 409: create it again
    const current = lease.spec?.holderIdentity ?? '';
    if (current === holder) return { ok: true };
    if (current) {
      const state = await holderState(current);
      const taken = lease.spec?.acquireTime ? new Date(lease.spec.acquireTime as unknown as string).getTime() : 0;
      if (state === 'active' || (state === 'missing' && now().getTime() - taken < LOCK_GRACE_MS)) return { ok: false, holder: current };
    }
    lease.spec = { ...lease.spec, holderIdentity: holder, acquireTime: microTime(now()) as never };
    try {
      await api.replace(lease);
      return { ok: true };
    } catch (err) {
      if (!isConflict(err)) throw err; // someone else took it meanwhile: look again
    }
  }
  throw new Error(`the lock ${namespace}/${name} changed hands twice while taking it; ask again`);
}

/** Give the lock up if `holder` still holds it (the record could not be created). Errors are swallowed: the lock lapses after {@link LOCK_GRACE_MS} anyway. */
export async function releaseDatabaseLock(kube: Kube, namespace: string, name: string, holder: string): Promise<void> {
  try {
    const api = leases(kube);
    const lease = await api.get(namespace, name);
    if (lease?.spec?.holderIdentity !== holder) return;
    lease.spec = { ...lease.spec, holderIdentity: '' };
    await api.replace(lease);
  } catch {
    /* lapses by itself */
  }
}
