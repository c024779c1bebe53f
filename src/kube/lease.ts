/**
 * Leader election over a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does it
 * (k8s.io/client-go/tools/leaderelection/leaderelection.go; client-node has none, docs/stack-notes.md):
 *
 * - A candidate reads the Lease every `renewPeriod` and takes it when it is free (empty holder) or when
 *   it has not changed for `leaseDuration` *as observed on this replica's own clock* (client-go's
 *   `observedTime`: the local time the Lease record was last seen to change, so clock skew between
 *   replicas does not matter), with an update guarded by `resourceVersion` (409 Conflict: another won).
 * - The leader renews every `renewPeriod` with a single PUT of the Lease object it holds (no GET); a
 *   409 or any error is retried every `retryPeriod` (a 409 after a GET), and it steps down only when no
 *   renewal has succeeded for `renewDeadline` (client-go: `RenewDeadline`, retried every `RetryPeriod`).
 * - It is the {@link Fence} of the leader's side effects: held while leading and within `renewDeadline`
 *   of the start of the last successful renewal, on a monotonic clock (`performance.now()`).
 * - On stop it releases the Lease (empty holder) so the next replica takes over at once.
 *
 * Defaults ({@link leaseTimings}): Lease 30 s, renew every 10 s, deadline 20 s, retry 2 s. Idle
 * traffic is one request per 10 s per replica (issue #13: the leader's PUT, a candidate's GET); a
 * candidate takes over 30–40 s after a leader dies without releasing; a leader steps down 20 s after its
 * last renewal, 10 s before anyone may take over, which leaves room for a write already on the wire.
 *
 * `renewTime`/`acquireTime` are `MicroTime`: RFC 3339 with exactly six fractional digits
 * (`2006-01-02T15:04:05.000000Z07:00`, k8s.io/apimachinery `metav1.MicroTime`); client-node has no
 * serializer for it, so they are sent as formatted strings.
 */
import { performance } from 'node:perf_hooks';
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Kube } from './client.js';
import { isConflict, isNotFound, statusMessage } from './errors.js';
import type { Fence } from './fence.js';

/** Format a Date as a Kubernetes MicroTime string. */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Timing of the election, all in ms. */
export interface LeaseTimings {
  /** How long a Lease stays valid after its last renewal, as other replicas see it. */
  leaseDurationMs: number;
  /** Interval of the leader's renewals and of a candidate's reads. */
  renewPeriodMs: number;
  /** The leader steps down (and its fence drops) when no renewal succeeded for this long. */
  renewDeadlineMs: number;
  /** Interval of retries after a failed renewal. */
  retryPeriodMs: number;
}

/**
 * Timings derived from a Lease duration (s): renew every third of it, deadline two thirds, retries
 * every 2 s or a fifteenth of it when shorter (client-go's defaults are 15 s / 10 s / 2 s; a 30 s Lease
 * makes idle traffic one request per 10 s). `over` replaces single values (tests).
 * @throws Error unless retryPeriod ≤ renewPeriod and renewDeadline < leaseDuration (client-go's checks).
 */
export function leaseTimings(leaseDurationSeconds: number, over: Partial<LeaseTimings> = {}): LeaseTimings {
  const leaseDurationMs = leaseDurationSeconds * 1000;
  const given = Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) as Partial<LeaseTimings>;
  const renewPeriodMs = given.renewPeriodMs ?? Math.max(50, leaseDurationMs / 3);
  const t: LeaseTimings = {
    leaseDurationMs,
    renewPeriodMs,
    renewDeadlineMs: (leaseDurationMs * 2) / 3,
    retryPeriodMs: Math.min(renewPeriodMs, Math.max(20, Math.min(2000, leaseDurationMs / 15))),
    ...given,
  };
  if (t.renewDeadlineMs >= t.leaseDurationMs) throw new Error(`renewDeadline (${t.renewDeadlineMs} ms) must be shorter than the Lease duration (${t.leaseDurationMs} ms)`);
  if (t.retryPeriodMs > t.renewPeriodMs) throw new Error(`retryPeriod (${t.retryPeriodMs} ms) must not exceed the renew period (${t.renewPeriodMs} ms)`);
  return t;
}

/** Options of a {@link LeaderElector}. */
export interface LeaderOptions {
  kube: Kube;
  namespace: string;
  name: string;
  /** This replica's identity (pod name). */
  identity: string;
  /** Lease duration in s (default 30). */
  leaseDurationSeconds?: number;
  /** Override single timings ({@link leaseTimings}; tests shorten them). */
  timings?: Partial<LeaseTimings>;
  log: Logger;
  onStartedLeading: () => void | Promise<void>;
  onStoppedLeading: () => void | Promise<void>;
  /** Called after each attempt (whatever its outcome); the first call tells start-up the election has run once. */
  onAttempt?: () => void;
}

/** The Lease as last seen, and when (local monotonic ms) its record was last seen to change. */
interface Observed {
  lease: V1Lease;
  at: number;
}

/** Runs the election loop; `isLeader` tells the current state; it is the leader's {@link Fence}. */
export class LeaderElector implements Fence {
  private timer?: NodeJS.Timeout;
  private watchdog?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;
  /** `performance.now()` taken just before the last renewal PUT that succeeded. */
  private renewedAt = -Infinity;
  private observed?: Observed;
  /** Set after a 409: the Lease object held is stale, read it before the next write. */
  private mustRead = false;
  readonly timings: LeaseTimings;
  private tick: Promise<void> = Promise.resolve();
  /** The chain of start/stop callbacks (run in order, outside the election loop). */
  private work: Promise<void> = Promise.resolve();

  /** The Lease's clients: each request is bounded by the renew deadline (client-go bounds each try by it too). */
  private readonly kube: Kube;

  constructor(private readonly o: LeaderOptions) {
    this.timings = leaseTimings(o.leaseDurationSeconds ?? 30, o.timings);
    this.kube = new Kube(o.kube.kc, o.kube.name, { requestTimeoutMs: Math.ceil(this.timings.renewDeadlineMs) });
  }

  /** Whether this replica holds the Lease (it may not be able to act: see {@link held}). */
  get isLeader(): boolean {
    return this.leading;
  }

  /** The fence: leading, and the last successful renewal started less than `renewDeadline` ago. */
  held(): boolean {
    return this.leading && performance.now() - this.renewedAt < this.timings.renewDeadlineMs;
  }

  /** Start campaigning; the first attempt runs at once. */
  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.tick = this.attempt()
        .catch((err) => {
          this.o.log.error({ err: statusMessage(err) }, 'leader election attempt failed');
          return false;
        })
        .then((ok) => this.schedule(ok || !this.leading ? this.timings.renewPeriodMs : this.timings.retryPeriodMs));
    }, ms);
  }

  /** One try to acquire or renew; resolves whether this replica holds the Lease afterwards. */
  private async attempt(): Promise<boolean> {
    const started = performance.now();
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew(started);
    } catch (err) {
      if (!isConflict(err)) this.o.log.warn({ err: statusMessage(err), lease: this.o.name, leader: this.leading }, 'leader election attempt failed');
      // After a 409 the Lease object held is stale: read it before writing again. After another error
      // the PUT is simply retried (had it landed, the retry answers 409 and the read follows).
      if (isConflict(err)) this.mustRead = true;
    }
    if (ok) {
      this.renewedAt = started;
      // Not awaited: renewals go on while the leader's work starts (the first attempt is awaited by start-up through onAttempt).
      void this.transition(true);
    } else if (this.leading && (!this.heldBy(this.observed?.lease) || performance.now() - this.renewedAt >= this.timings.renewDeadlineMs)) {
      void this.transition(false);
    }
    try {
      this.o.onAttempt?.();
    } catch {
      /* a start-up callback must not stop the election */
    }
    return ok;
  }

  private heldBy(lease: V1Lease | undefined): boolean {
    return lease?.spec?.holderIdentity === this.o.identity;
  }

  /**
   * client-go's `tryAcquireOrRenew`: while leading with a known Lease object, PUT it with a new
   * `renewTime` (no GET); otherwise GET (create when missing) and take it if free, expired or ours.
   * @returns whether the Lease is now held. @throws the API error (409 when another replica wrote first).
   */
  private async tryAcquireOrRenew(startedMs: number): Promise<boolean> {
    const { namespace, name, identity } = this.o;
    const kube = this.kube;
    const now = new Date();
    const known = this.observed?.lease;
    if (this.leading && !this.mustRead && known && this.heldBy(known)) {
      const body: V1Lease = { ...known, spec: { ...withMicroTimes(known.spec), renewTime: microTime(now) as never } };
      this.remember(await kube.coordination.replaceNamespacedLease({ name, namespace, body }), startedMs);
      return true;
    }
    let lease: V1Lease | undefined;
    try {
      lease = await kube.coordination.readNamespacedLease({ name, namespace });
      this.mustRead = false;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const seconds = this.timings.leaseDurationMs / 1000;
    if (!lease) {
      const created = await kube.coordination.createNamespacedLease({
        namespace,
        body: {
          metadata: { name, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds: seconds, acquireTime: microTime(now) as never, renewTime: microTime(now) as never, leaseTransitions: 0 },
        },
      });
      this.remember(created, startedMs);
      return true;
    }
    this.observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? seconds) * 1000;
    const expired = this.observed!.at + duration <= performance.now();
    if (holder !== identity && holder !== '' && !expired) return false;
    const taking = holder !== identity;
    const body: V1Lease = {
      ...lease,
      spec: {
        ...withMicroTimes(spec),
        holderIdentity: identity,
        leaseDurationSeconds: seconds,
        renewTime: microTime(now) as never,
        ...(taking ? { acquireTime: microTime(now) as never, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
      },
    };
    this.remember(await kube.coordination.replaceNamespacedLease({ name, namespace, body }), startedMs);
    return true;
  }

  /** Note a Lease read from the server; its observed time moves only when its record changed. */
  private observe(lease: V1Lease): void {
    const prev = this.observed?.lease;
    const same = prev && prev.spec?.holderIdentity === lease.spec?.holderIdentity && String(prev.spec?.renewTime) === String(lease.spec?.renewTime);
    this.observed = { lease, at: same ? this.observed!.at : performance.now() };
  }

  /** Note a Lease this replica just wrote (it was current when the request started). */
  private remember(lease: V1Lease, startedMs: number): void {
    this.observed = { lease, at: startedMs };
  }

  /**
   * Change state. The callbacks run one after another on {@link work}, not inside the election loop:
   * starting the leader's work may take long (a first list), and renewals must go on meanwhile
   * (client-go runs `OnStartedLeading` in its own goroutine). Resolves when this change's callback ran.
   */
  private transition(leading: boolean): Promise<void> {
    if (leading === this.leading || this.stopped) {
      if (leading && this.leading) this.armWatchdog();
      return Promise.resolve();
    }
    this.leading = leading;
    this.o.log.info({ identity: this.o.identity, leader: leading }, leading ? 'became leader' : 'lost leadership');
    if (leading) this.armWatchdog();
    else clearTimeout(this.watchdog);
    this.work = this.work.then(async () => {
      try {
        if (leading) await this.o.onStartedLeading();
        else await this.o.onStoppedLeading();
      } catch (err) {
        // A failed start of the leader's work must not crash the process: give the Lease up and try again later.
        this.o.log.error({ err: statusMessage(err) }, leading ? 'could not start leading; stepping down' : 'error while stepping down');
        if (leading && this.leading) {
          this.leading = false;
          clearTimeout(this.watchdog);
          await Promise.resolve(this.o.onStoppedLeading()).catch(() => undefined);
        }
      }
    });
    return this.work;
  }

  /**
   * Step down at once when the renew deadline passes without a successful renewal (the fence drops at
   * that instant anyway; this stops the leader's work without waiting for the next attempt).
   */
  private armWatchdog(): void {
    clearTimeout(this.watchdog);
    const left = this.renewedAt + this.timings.renewDeadlineMs - performance.now();
    this.watchdog = setTimeout(() => {
      if (this.leading && !this.held()) {
        this.o.log.warn({ identity: this.o.identity, renewDeadlineMs: this.timings.renewDeadlineMs }, 'Lease not renewed within the renew deadline; stepping down');
        void this.transition(false).catch(() => undefined);
      }
    }, Math.max(0, left) + 1);
    this.watchdog.unref?.();
  }

  /** Stop campaigning; if leading, stop leading and release the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.watchdog);
    await this.tick;
    await this.work;
    if (!this.leading) return;
    // A graceful stop: the Lease is still ours, so work in flight may finish its writes (fence held,
    // within the renew deadline) before the Lease is handed back.
    await Promise.resolve(this.o.onStoppedLeading()).catch((err) => this.o.log.error({ err: statusMessage(err) }, 'error while stepping down'));
    this.leading = false;
    const { namespace, name, identity } = this.o;
    const kube = this.kube;
    try {
      const lease = await kube.coordination.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity === identity) {
        lease.spec = { ...withMicroTimes(lease.spec), holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) as never, acquireTime: undefined };
        await kube.coordination.replaceNamespacedLease({ name, namespace, body: lease });
      }
    } catch (err) {
      this.o.log.warn({ err: statusMessage(err) }, 'could not release the Lease; it expires by itself');
    }
  }
}

/**
 * A Lease spec as read (client-node parses `acquireTime`/`renewTime` into Dates), with its MicroTimes
 * formatted back to six fractional digits (client-node would send milliseconds only).
 */
function withMicroTimes(spec: V1Lease['spec'] = {}): NonNullable<V1Lease['spec']> {
  const fmt = (v: unknown) => (v === undefined || v === null ? undefined : (microTime(new Date(v as string)) as never));
  return { ...spec, acquireTime: fmt(spec.acquireTime), renewTime: fmt(spec.renewTime) };
}
