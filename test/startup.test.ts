/**
 * `npm start` (src/main.ts) as a real child process against the emulators: every start-up problem ends
 * in one line on stderr naming what to fix and exit code 1 (no stack trace), and several problems in one
 * line each, all reported together (no network and a bad kubeconfig: both) — a bad bot or app token
 * (the Slack emulator answers `auth.test` / `apps.connections.open` with `invalid_auth`, as Slack does),
 * Slack unreachable, the API server unreachable, a token the API server refuses (401), the CRD missing,
 * the example's placeholder IDs; a Socket Mode WebSocket the network refuses (the Slack emulator answering
 * every upgrade 403 while its Web API works) is logged with its cause and host at growing intervals while
 * `/healthz` answers and `/readyz` names it, then ends in one line naming the likely cause; and `/readyz`
 * follows the Slack connection.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startEmbeddedCluster, worldConfig, loadRecordCrd, BOT_SA_TOKEN, CHANNEL, type EmbeddedCluster } from '../sim/world.js';
import { CRD_GVR } from '../sim/kubedb/common.js';
import { SlackEmulator } from '../sim/slack/server.js';
import { KubeApiServer } from '../sim/kube/server.js';
import { Store } from '../sim/kube/store.js';
import { findPlaceholders, PLACEHOLDER_IDS } from '../src/startup/placeholders.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE = join(ROOT, 'deploy/config.example.yaml');

let cluster: EmbeddedCluster;
let slack: SlackEmulator;
let dir: string;
let kubeconfig: string;
let config: string;

/** Run src/main.ts until it exits (or, with `until`, until its output matches, then SIGTERM). */
function runMain(env: Record<string, string>, timeoutMs = 110_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, SLACK_SIGNING_SECRET: '', KUBE_CONTEXT: '', LOG_LEVEL: 'warn', PORT: '0', ...env },
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A TCP port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const good = () => ({ SLACK_BOT_TOKEN: slack.botToken, SLACK_APP_TOKEN: slack.appToken, SLACK_API_URL: slack.apiUrl, KUBECONFIG: kubeconfig, DBUPDATE_CONFIG: config });

/** One line on stderr, exit 1, no stack trace. */
function expectOneLine(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^dbupdate: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(1);
}

beforeAll(async () => {
  cluster = await startEmbeddedCluster();
  slack = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
  dir = mkdtempSync(join(tmpdir(), 'dbupdate-startup-'));
  kubeconfig = join(dir, 'kubeconfig');
  cluster.server.writeKubeconfig(kubeconfig, { token: BOT_SA_TOKEN });
  config = join(dir, 'config.yaml');
  writeFileSync(config, stringify(worldConfig()));
});
afterAll(async () => {
  await slack?.stop();
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm start: one-line start-up errors', { timeout: 120_000 }, () => {
  it('a bad bot token: auth.test answers invalid_auth, and SLACK_BOT_TOKEN is named', async () => {
    const r = await runMain({ ...good(), SLACK_BOT_TOKEN: 'xoxb-not-a-real-token' });
    expectOneLine(r, /SLACK_BOT_TOKEN is not valid: Slack's auth\.test answered invalid_auth/);
  });

  it('a bad app-level token: apps.connections.open answers invalid_auth, and SLACK_APP_TOKEN is named', async () => {
    const r = await runMain({ ...good(), SLACK_APP_TOKEN: 'xapp-1-not-a-real-token' });
    expectOneLine(r, /SLACK_APP_TOKEN is not valid: Slack's apps\.connections\.open answered invalid_auth/);
  });

  it('Slack unreachable: says so with the URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/`;
    const r = await runMain({ ...good(), SLACK_API_URL: url });
    expectOneLine(r, new RegExp(`cannot reach Slack at ${url.replace(/[./]/g, '\\$&')} \\(auth\\.test: .*ECONNREFUSED`));
  });

  it('the API server unreachable: names the server and KUBECONFIG', async () => {
    const port = await closedPort();
    const file = join(dir, 'kubeconfig-closed');
    writeFileSync(file, readFileSync(kubeconfig, 'utf8').replace(cluster.server.url, `http://127.0.0.1:${port}`));
    const r = await runMain({ ...good(), KUBECONFIG: file });
    expectOneLine(r, new RegExp(`cannot reach the Kubernetes API server at http://127\\.0\\.0\\.1:${port} \\(KUBECONFIG\\): .*ECONNREFUSED.*Check KUBECONFIG`));
  });

  it('a token the API server refuses (401): says to renew the credentials', async () => {
    const file = join(dir, 'kubeconfig-401');
    cluster.server.writeKubeconfig(file, { token: 'expired-token' });
    const r = await runMain({ ...good(), KUBECONFIG: file });
    expectOneLine(r, /refused the credentials \(401 Unauthorized\): renew the token/);
  });

  it('the DatabaseUpdate CRD missing: says how to install it', async () => {
    const bare = await KubeApiServer.start({ store: new Store() });
    try {
      const file = join(dir, 'kubeconfig-bare');
      bare.writeKubeconfig(file);
      const r = await runMain({ ...good(), KUBECONFIG: file });
      expectOneLine(r, /has no databaseupdates\.dbupdate\.dev CRD: install it with kubectl apply -f deploy\/crd-databaseupdate\.yaml/);
    } finally {
      await bare.stop();
    }
  });

  it('the DatabaseUpdateBatch CRD missing (a chart upgraded from before fleets): says how to install it', async () => {
    const store = new Store();
    store.create(CRD_GVR, loadRecordCrd());
    const partial = await KubeApiServer.start({ store });
    try {
      const file = join(dir, 'kubeconfig-no-batches');
      partial.writeKubeconfig(file);
      const r = await runMain({ ...good(), KUBECONFIG: file });
      expectOneLine(r, /has no databaseupdatebatches\.dbupdate\.dev CRD \(fleet updates\): install it with kubectl apply -f deploy\/crd-databaseupdatebatch\.yaml \(Helm installs a chart's CRDs on install only/);
    } finally {
      await partial.stop();
    }
  });

  it('the example configuration as deployed (placeholder IDs): refused with the fix, before any connection', async () => {
    const r = await runMain({ ...good(), DBUPDATE_CONFIG: EXAMPLE });
    expectOneLine(r, /still holds the example's placeholder Slack IDs \(channelNamespaces\.C0123456789=C0123456789, approvers\.0=U0AAAAAAA, .*replace them with your workspace's/);
  });

});

describe('npm start: every start-up check runs, and all failures are reported together', { timeout: 120_000 }, () => {
  it('no network to Slack and a kubeconfig that does not parse: both are reported, one line each', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/`;
    const file = join(dir, 'kubeconfig-garbage');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [ {name: x, cluster: {server: 12} ]\n');
    const r = await runMain({ ...good(), SLACK_API_URL: url, KUBECONFIG: file });
    const lines = r.stderr.trim().split('\n');
    expect(r.code).toBe(1);
    expect(lines, r.stderr).toHaveLength(2);
    for (const l of lines) expect(l).toMatch(/^dbupdate: /);
    expect(r.stderr).toMatch(/cannot reach Slack at .*ECONNREFUSED/);
    expect(lines.some((l) => !/Slack/.test(l)), r.stderr).toBe(true);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('Slack unreachable and the API server refusing the token: both, in the order of the checks', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/`;
    const file = join(dir, 'kubeconfig-401-both');
    cluster.server.writeKubeconfig(file, { token: 'expired-token' });
    const r = await runMain({ ...good(), SLACK_API_URL: url, KUBECONFIG: file, SLACK_BOT_TOKEN: 'not-a-token' });
    const lines = r.stderr.trim().split('\n');
    expect(r.code).toBe(1);
    // a malformed bot token (no Slack call then), and the cluster's 401
    expect(lines[0]).toMatch(/^dbupdate: SLACK_BOT_TOKEN must be set/);
    expect(lines[1]).toMatch(/refused the credentials \(401 Unauthorized\)/);
    expect(lines).toHaveLength(2);
  });
});

describe('npm start: a Socket Mode WebSocket the network refuses', { timeout: 120_000 }, () => {
  it('logs each attempt with its cause and host at growing intervals, keeps /healthz up, names it in /readyz, then exits with the likely cause', async () => {
    const own = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }], refuseWebSockets: 403 });
    const port = await closedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...good(), SLACK_BOT_TOKEN: own.botToken, SLACK_APP_TOKEN: own.appToken, SLACK_API_URL: own.apiUrl, PORT: String(port), LOG_LEVEL: 'warn', SLACK_CONNECT_TIMEOUT: '9s', SLACK_SIGNING_SECRET: '', KUBE_CONTEXT: '', HTTPS_PROXY: '', https_proxy: '', HTTP_PROXY: '', http_proxy: '', ALL_PROXY: '', all_proxy: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // /healthz answers while the bot cannot connect; /readyz says why it is not ready
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 30_000, interval: 100 }).toBe(200);
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.text(), () => ''), { timeout: 30_000, interval: 200 }).toMatch(/\[-\]slack: the WebSocket to 127\.0\.0\.1:\d+ did not open \(\d attempt\(s\), last: HTTP 403\)/);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.text()).toMatch(/^not ready\n\[-\]startup: connecting to Slack\n/);
      expect(await exited).toBe(1);
    } finally {
      child.kill('SIGKILL');
      await own.stop();
    }
    // one line, naming the cause and what to do
    expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
    expect(stderr).toMatch(/^dbupdate: Slack's Web API answers, but the Socket Mode WebSocket to 127\.0\.0\.1:\d+ did not open within 9 s \(\d attempt\(s\), last: HTTP 403\)\. Likely cause: a proxy or firewall that refuses WebSocket upgrades/);
    // each attempt logged with cause and host, the waits growing
    const attempts = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.attempt !== undefined);
    expect(attempts.length, stdout).toBeGreaterThanOrEqual(2);
    for (const a of attempts) {
      expect(a.cause).toBe('HTTP 403');
      expect(a.host).toMatch(/^127\.0\.0\.1:\d+$/);
    }
    expect(attempts[1].nextAttemptInMs).toBeGreaterThan(attempts[0].nextAttemptInMs);
  });
});

describe('the placeholder list', () => {
  it('holds every Slack ID of deploy/config.example.yaml (so an edit of the example cannot slip past the check)', () => {
    const ids = new Set<string>();
    JSON.stringify(parse(readFileSync(EXAMPLE, 'utf8')), (k, v) => {
      for (const s of [k, v]) if (typeof s === 'string' && /^[UCS]0[A-Z0-9]{7,}$/.test(s)) ids.add(s);
      return v;
    });
    expect(ids.size).toBeGreaterThan(3);
    for (const id of ids) expect(PLACEHOLDER_IDS).toContain(id);
    expect(findPlaceholders({ approvers: ['U_REAL'], channelNamespaces: { C_REAL: 'x' } })).toEqual([]);
  });
});

describe('/readyz follows the Slack connection', { timeout: 120_000 }, () => {
  it('is 200 once connected and 503 after Slack goes away', async () => {
    const own = await SlackEmulator.start({ channels: [{ id: CHANNEL, name: 'db-ops' }] });
    const port = await closedPort();
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { ...process.env, ...good(), SLACK_BOT_TOKEN: own.botToken, SLACK_APP_TOKEN: own.appToken, SLACK_API_URL: own.apiUrl, PORT: String(port), LOG_LEVEL: 'warn', HOSTNAME: 'readyz-bot' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const status = () => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
    try {
      await expect.poll(status, { timeout: 30_000, interval: 200 }).toBe(200);
      await own.stop();
      await expect.poll(status, { timeout: 30_000, interval: 200 }).toBe(503);
      expect(child.exitCode, out).toBeNull();
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
});
