/**
 * What `/readyz` reports (src/health.ts): each dependency of a replica with whether it is ready and why
 * not, so `kubectl describe pod` (the probe's body is shown in its events) or a `curl` says which one blocks
 * — Slack's socket, the Kubernetes API, the Lease, the caches. Pure.
 */

/** One dependency's state. `detail` is one line (what is ready, or what is wrong and since when). */
export interface ReadyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** A readiness answer: ready when every check is. */
export interface ReadyReport {
  ready: boolean;
  checks: ReadyCheck[];
}

/** A report of `checks` (ready when all are ok; an empty list is not ready: nothing has been checked yet). */
export function report(checks: ReadyCheck[]): ReadyReport {
  return { ready: checks.length > 0 && checks.every((c) => c.ok), checks };
}

/**
 * The `/readyz` body: `ready` or `not ready`, then one line per check (`[+]name: detail` when ready,
 * `[-]name: detail` when not), the shape of the Kubernetes API server's own `/readyz?verbose`.
 */
export function renderReport(r: ReadyReport): string {
  return [r.ready ? 'ready' : 'not ready', ...r.checks.map((c) => `[${c.ok ? '+' : '-'}]${c.name}: ${c.detail}`)].join('\n') + '\n';
}
