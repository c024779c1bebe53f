/**
 * The bot's replicas in a chaos run: real bot processes (as `spawnBot` starts them), started, killed (SIGKILL),
 * frozen (SIGSTOP) and thawed (SIGCONT) by the harness, and restarted after a kill as Kubernetes
 * restarts a container. Every exit is recorded; an exit the harness did not cause (a crash, an exit
 * code, a signal it did not send) is kept in `unexpectedExits` with the end of the process's output.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BotProcess } from '../bot-process.js';
import type { EmbeddedCluster } from '../world.js';
import type { SlackEmulator } from '../slack/server.js';
import { LEASE_NAME } from '../../src/bot.js';

const LEASE_GVR = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases' };
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Start a bot process as `spawnBot` (../bot-process.ts) does — tsx, the emulators' tokens and URLs in
 * the environment — but with a chosen entry script and `PORT=0` (two replicas on one machine must not
 * both bind the health port 8080).
 */
function spawnReplica(o: { files: { kubeconfig: string; config: string }; slack: Pick<SlackEmulator, 'botToken' | 'appToken' | 'apiUrl'>; identity: string; entry: string; env: Record<string, string> }): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, o.entry)], {
    cwd: ROOT,
    env: {
      ...process.env,
      KUBECONFIG: o.files.kubeconfig,
      DBUPDATE_CONFIG: o.files.config,
      SLACK_BOT_TOKEN: o.slack.botToken,
      SLACK_APP_TOKEN: o.slack.appToken,
      SLACK_API_URL: o.slack.apiUrl,
      HOSTNAME: o.identity,
      PORT: '0',
      LOG_LEVEL: 'info',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  LIVE.add(child);
  void exited.then(() => LIVE.delete(child));
  if (!exitHook) {
    exitHook = true;
    // If the harness itself dies (Ctrl-C, a failed test run), no bot process is left behind.
    process.once('exit', () => {
      for (const c of LIVE) c.kill('SIGKILL');
    });
  }
  return { child, output: () => out, exited, kill: (s) => void child.kill(s) };
}

const LIVE = new Set<ReturnType<typeof spawn>>();
let exitHook = false;

/** One process of a replica slot. */
export interface ReplicaProcess {
  /** HOSTNAME given to the process; the bot's Lease identity starts with it and a `-`. */
  identity: string;
  proc: BotProcess;
  startedAt: number;
  state: 'running' | 'stopped' | 'exited';
  /** The signal the harness sent to end it (SIGKILL, SIGTERM), if any. */
  sentSignal?: NodeJS.Signals;
}

/** An exit the harness did not cause. */
export interface UnexpectedExit {
  identity: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the process wrote. */
  tail: string;
}

/** Options of {@link Replicas}. */
export interface ReplicaOptions {
  cluster: EmbeddedCluster;
  slack: SlackEmulator;
  files: { kubeconfig: string; config: string };
  /** Replica slots (default 2). */
  count?: number;
  /** Extra environment of each process (e.g. `SLACK_API_URL` of the loss proxy). */
  env?: Record<string, string>;
  /** Script to run (default `src/main.ts`). */
  entry?: string;
  /** Records namespace (where the leader Lease lives). */
  namespace: string;
  /** Log of the harness (one line per action). */
  log: (line: string) => void;
}

/** The replica slots; slot `i` runs processes `r<i>-<generation>`. */
export class Replicas {
  /** Current process of each slot (the newest; an exited one until restarted). */
  readonly slots: ReplicaProcess[] = [];
  /** Every process started. */
  readonly all: ReplicaProcess[] = [];
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** Processes started again after they exited by themselves. */
  crashRestarts = 0;
  private generation = 0;
  private stopping = false;

  constructor(private readonly o: ReplicaOptions) {}

  /** Start every slot's first process. */
  startAll(): void {
    for (let i = 0; i < (this.o.count ?? 2); i++) this.start(i);
  }

  /** Start a new process in slot `i` (the previous one must have exited). */
  start(i: number): ReplicaProcess {
    const identity = `r${i}-${++this.generation}`;
    const proc = spawnReplica({ files: this.o.files, slack: this.o.slack, identity, entry: this.o.entry ?? 'src/main.ts', env: this.o.env ?? {} });
    const r: ReplicaProcess = { identity, proc, startedAt: Date.now(), state: 'running' };
    this.slots[i] = r;
    this.all.push(r);
    void proc.exited.then(({ code, signal }) => {
      r.state = 'exited';
      const expected = (r.sentSignal === 'SIGKILL' && signal === 'SIGKILL') || (r.sentSignal === 'SIGTERM' && (code === 0 || signal === 'SIGTERM'));
      if (expected) return;
      const tail = proc.output().trimEnd().split('\n').slice(-15).join('\n');
      this.unexpectedExits.push({ identity, code, signal, tail });
      this.o.log(`!! ${identity} exited by itself (code ${code}, signal ${signal}); restarting it in 1 s`);
      // Kubernetes restarts a crashed container: so does the harness, so the run goes on.
      setTimeout(() => {
        if (!this.stopping && this.slots[i] === r) {
          this.start(i);
          this.crashRestarts++;
        }
      }, 1000);
    });
    return r;
  }

  /** The process holding the leader Lease (read from the store), if one of ours does. */
  leader(): ReplicaProcess | undefined {
    const lease = this.o.cluster.store.tryGet(LEASE_GVR, this.o.namespace, LEASE_NAME) as { spec?: { holderIdentity?: string } } | undefined;
    const holder = lease?.spec?.holderIdentity ?? '';
    return holder ? this.slots.find((r) => holder.startsWith(`${r.identity}-`)) : undefined;
  }

  /** Whether slot `i`'s process is running and has started (logged "dbupdate started": Slack connected, election run once). */
  up(i: number): boolean {
    const r = this.slots[i];
    return r.state === 'running' && r.proc.output().includes('"msg":"dbupdate started"');
  }

  /** Slots whose process is running (not frozen, not exited). */
  running(): number[] {
    return this.slots.flatMap((r, i) => (r.state === 'running' ? [i] : []));
  }

  /** SIGKILL slot `i`'s process and wait for its exit. */
  async kill(i: number): Promise<void> {
    const r = this.slots[i];
    if (r.state === 'exited') return;
    r.sentSignal = 'SIGKILL';
    r.proc.kill('SIGKILL');
    await r.proc.exited;
  }

  /** SIGSTOP slot `i`'s process (it keeps its sockets, but runs nothing). */
  freeze(i: number): void {
    const r = this.slots[i];
    if (r.state !== 'running') return;
    r.proc.kill('SIGSTOP');
    r.state = 'stopped';
  }

  /** SIGCONT slot `i`'s process. */
  thaw(i: number): void {
    const r = this.slots[i];
    if (r.state !== 'stopped') return;
    r.proc.kill('SIGCONT');
    r.state = 'running';
  }

  /** Thaw frozen processes and start a process in each slot whose process has exited. */
  ensureAllRunning(): void {
    this.slots.forEach((r, i) => {
      if (r.state === 'stopped') this.thaw(i);
      if (r.state === 'exited') this.start(i);
    });
  }

  /** End the run: thaw, SIGTERM every process, SIGKILL what is left after 15 s. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const live = this.all.filter((r) => r.state !== 'exited');
    for (const r of live) {
      if (r.state === 'stopped') r.proc.kill('SIGCONT');
      r.sentSignal = 'SIGTERM';
      r.proc.kill('SIGTERM');
    }
    await Promise.all(
      live.map(async (r) => {
        const t = setTimeout(() => r.proc.kill('SIGKILL'), 15_000);
        await r.proc.exited;
        clearTimeout(t);
      }),
    );
  }
}
