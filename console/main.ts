/**
 * `npm run console`: boots the embedded world (cluster emulator with simulated KubeDB, Slack emulator and
 * the real bot, `sim/world.ts`) and serves the browser console on 127.0.0.1.
 *
 *   npm run console                       # http://127.0.0.1:8088/
 *   npm run console -- --port 0           # any free port
 *   npm run console -- --pod-ready-ms 800 # slower pods, to watch the roll
 *   npm run console -- --help
 */
import { runCli } from '../src/startup/cli.js';
import { startWorld, CHANNEL } from '../sim/world.js';
import { startConsole } from './server.js';

const HELP = `Usage: npm run console -- [options]

A browser page on the embedded world: the cluster emulator with simulated KubeDB, the Slack
emulator and the real dbupdate bot. Pick a user, type /dbupdate …, click Approve/Reject as
someone else, and watch the thread and the cluster objects update live.

Options:
  --port N            TCP port on 127.0.0.1 (default 8088; 0 picks a free one)
  --pod-ready-ms N    how long a simulated pod takes to become Ready, ms (default 400)
  --step-ms N         how long each simulated OpsRequest step takes, ms (default 400)
  -h, --help          show this help

The server listens on 127.0.0.1 only. Stop it with Ctrl-C.
`;

function fail(msg: string): never {
  process.stderr.write(`npm run console: ${msg}\nRun "npm run console -- --help" for the options.\n`);
  process.exit(2);
}

function intOption(name: string, v: string | undefined, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) > max) fail(`--${name} must be a whole number from 0 to ${max}, got "${v}"`);
  return Number(v);
}

const values = runCli(process.argv.slice(2), 'npm run console', HELP, {
  port: { type: 'string' },
  'pod-ready-ms': { type: 'string' },
  'step-ms': { type: 'string' },
});
const port = intOption('port', values.port as string | undefined, 8088, 65535);
const podReadyDelayMs = intOption('pod-ready-ms', values['pod-ready-ms'] as string | undefined, 400, 600_000);
const stepDelayMs = intOption('step-ms', values['step-ms'] as string | undefined, 400, 600_000);

const world = await startWorld({ sim: { podReadyDelayMs, stepDelayMs } });
let consoleServer;
try {
  consoleServer = await startConsole({ slack: world.slack, store: world.cluster.store, channel: CHANNEL, port });
} catch (e) {
  await world.stop();
  const code = (e as NodeJS.ErrnoException).code;
  fail(code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is in use: pick another with --port N (or --port 0)` : String(e));
}
process.stdout.write(`dbupdate console: ${consoleServer.url}\n(cluster API ${world.cluster.server.url}, Slack API ${world.slack.apiUrl}; Ctrl-C stops)\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await consoleServer.stop();
  await world.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
