/**
 * Leader election over a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it
 * (client-node has none; stack-notes): a candidate takes the Lease when it is free or its holder has not
 * renewed it within `leaseDurationSeconds`, by an update guarded by `resourceVersion` (a 409 Conflict
 * means another replica won). The leader renews every `renewMs`; on stop it releases the Lease (empty
 * holder) so the next replica takes over at once.
 *
 * `renewTime`/`acquireTime` are `MicroTime`: RFC 3339 with exactly six fractional digits
 * (`2006-01-02T15:04:05.000000Z07:00`, k8s.io/apimachinery `metav1.MicroTime`); client-node has no
 * serializer for it, so they are sent as formatted strings.
 */
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Kube } from './client.js';
import { isConflict, isNotFound, statusMessage } from './client.js';

/** Format a Date as a Kubernetes MicroTime string. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Options of a {@link LeaderElector}. Times in ms except `leaseDurationSeconds`. */
export interface LeaderOptions {
  kube: Kube;
  namespace: string;
  name: string;
  /** This replica's identity (pod name). */
  identity: string;
  leaseDurationSeconds?: number;
  /** How often the leader renews and a candidate retries (default: a third of the lease duration). */
  renewMs?: number;
  log: Logger;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  /** Called after each attempt (whatever its outcome); the first call tells start-up the election has run once. */
  onAttempt?: () => void;
}

/** Runs the election loop; `isLeader` tells the current state. */
export class LeaderElector {
  private timer?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;
  private readonly duration: number;
  private readonly renewMs: number;
  private tick: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaderOptions) {
    this.duration = o.leaseDurationSeconds ?? 15;
    this.renewMs = o.renewMs ?? Math.max(200, (this.duration * 1000) / 3);
  }

  /** Whether this replica holds the Lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Start campaigning; the first attempt runs at once. */
  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick = this.attempt()
        .catch((err) => this.o.log.error({ err: statusMessage(err) }, 'leader election attempt failed'))
        .finally(() => this.schedule(this.renewMs));
    }, ms);
  }

  private async attempt(): Promise<void> {
    const { kube, namespace, name, identity } = this.o;
    const now = new Date();
    let ok = false;
    try {
      let lease: V1Lease | undefined;
      try {
        lease = await kube.coordination.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!lease) {
        await kube.coordination.createNamespacedLease({
          namespace,
          body: {
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: this.duration,
              acquireTime: microTime(now) as never,
              renewTime: microTime(now) as never,
              leaseTransitions: 0,
            },
          },
        });
        ok = true;
      } else {
        const spec = lease.spec ?? {};
        const holder = spec.holderIdentity ?? '';
        const renewed = spec.renewTime ? new Date(spec.renewTime as unknown as string).getTime() : 0;
        const expired = renewed + (spec.leaseDurationSeconds ?? this.duration) * 1000 < now.getTime();
        if (holder === identity || holder === '' || expired) {
          const taking = holder !== identity;
          lease.spec = {
            ...spec,
            holderIdentity: identity,
            leaseDurationSeconds: this.duration,
            renewTime: microTime(now) as never,
            ...(taking ? { acquireTime: microTime(now) as never, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
            ...(spec.acquireTime && !taking ? { acquireTime: microTime(new Date(spec.acquireTime as unknown as string)) as never } : {}),
          };
          await kube.coordination.replaceNamespacedLease({ name, namespace, body: lease });
          ok = true;
        }
      }
    } catch (err) {
      if (!isConflict(err)) this.o.log.warn({ err: statusMessage(err), lease: name }, 'leader election attempt failed');
      ok = false;
    }
    await this.transition(ok);
    this.o.onAttempt?.();
  }

  private async transition(leading: boolean): Promise<void> {
    if (leading === this.leading || this.stopped) return;
    this.leading = leading;
    this.o.log.info({ identity: this.o.identity, leader: leading }, leading ? 'became leader' : 'lost leadership');
    try {
      if (leading) await this.o.onStartedLeading();
      else await this.o.onStoppedLeading();
    } catch (err) {
      // A failed start of the leader's work must not crash the process: give the Lease up and try again later.
      this.o.log.error({ err: statusMessage(err) }, leading ? 'could not start leading; stepping down' : 'error while stepping down');
      if (leading) {
        this.leading = false;
        await Promise.resolve(this.o.onStoppedLeading()).catch(() => undefined);
      }
    }
  }

  /** Stop campaigning; if leading, stop leading and release the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.tick;
    if (!this.leading) return;
    this.leading = false;
    await this.o.onStoppedLeading();
    const { kube, namespace, name, identity } = this.o;
    try {
      const lease = await kube.coordination.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity === identity) {
        lease.spec = { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) as never, acquireTime: undefined };
        await kube.coordination.replaceNamespacedLease({ name, namespace, body: lease });
      }
    } catch (err) {
      this.o.log.warn({ err: statusMessage(err) }, 'could not release the Lease; it expires by itself');
    }
  }
}
