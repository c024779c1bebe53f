/**
 * The health/metrics server over real HTTP (fetch against 127.0.0.1 on a free port), and the metric
 * handles of `createMetrics()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHealthServer, type HealthServer, type HealthServerOptions } from '../src/health.js';
import { createMetrics } from '../src/metrics.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(ready: HealthServerOptions['ready'], extra: { readyTimeoutMs?: number } = {}) {
  const metrics = createMetrics();
  server = await startHealthServer({ port: 0, host: '127.0.0.1', ready, registry: metrics.registry, ...extra });
  const base = `http://127.0.0.1:${server.port}`;
  return { metrics, base };
}

describe('health server', () => {
  it('binds a real port when asked for port 0', async () => {
    await start(() => true);
    expect(server!.port).toBeGreaterThan(0);
  });

  it('GET /healthz answers 200 ok', async () => {
    const { base } = await start(() => false);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect((await res.text()).trim()).toBe('ok');
  });

  it('GET /readyz follows ready(): 503 while false, 200 once true', async () => {
    let ready = false;
    const { base } = await start(async () => ready);
    const before = await fetch(`${base}/readyz`);
    expect(before.status).toBe(503);
    await before.text();
    ready = true;
    const after = await fetch(`${base}/readyz?verbose`);
    expect(after.status).toBe(200);
    expect((await after.text()).trim()).toBe('ready');
  });

  it('GET /readyz with a report: names each dependency and why it is not ready', async () => {
    let checks = [
      { name: 'slack', ok: false, detail: 'the WebSocket to wss-primary.slack.com did not open (3 attempt(s), last: ECONNREFUSED)' },
      { name: 'kubernetes', ok: true, detail: 'the API server of cluster prod answers' },
    ];
    const { base } = await start(() => ({ ready: checks.every((c) => c.ok), checks }));
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('not ready\n[-]slack: the WebSocket to wss-primary.slack.com did not open (3 attempt(s), last: ECONNREFUSED)\n[+]kubernetes: the API server of cluster prod answers\n');
    checks = checks.map((c) => ({ ...c, ok: true, detail: c.name === 'slack' ? 'connected to wss-primary.slack.com' : c.detail }));
    const ok = await fetch(`${base}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('ready\n[+]slack: connected to wss-primary.slack.com\n[+]kubernetes: the API server of cluster prod answers\n');
  });

  it('GET /readyz is 503 when ready() throws or hangs', async () => {
    const { base } = await start(() => {
      throw new Error('boom');
    });
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    await res.text();
    await server!.close();
    server = undefined;
    const hung = await start(() => new Promise<boolean>(() => {}), { readyTimeoutMs: 50 });
    const res2 = await fetch(`${hung.base}/readyz`);
    expect(res2.status).toBe(503);
  });

  it('GET /metrics serves the registry in Prometheus text format, including an incremented counter', async () => {
    const { base, metrics } = await start(() => true);
    metrics.requests.inc({ outcome: 'requested' });
    metrics.requests.inc({ outcome: 'requested' });
    metrics.approvals.inc({ decision: 'refused' });
    metrics.leader.set(1);
    metrics.stepDuration.observe({ step: 'images' }, 3.2);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP dbupdate_requests_total /m);
    expect(text).toMatch(/^# TYPE dbupdate_requests_total counter$/m);
    expect(text).toMatch(/^dbupdate_requests_total\{outcome="requested"\} 2$/m);
    expect(text).toMatch(/^dbupdate_approvals_total\{decision="refused"\} 1$/m);
    expect(text).toMatch(/^dbupdate_leader 1$/m);
    expect(text).toMatch(/^dbupdate_step_duration_seconds_bucket\{le="5",step="images"\} 1$/m);
    expect(text).toMatch(/^dbupdate_step_duration_seconds_sum\{step="images"\} 3\.2$/m);
    // default Node metrics are registered too
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_total_bytes /m);
  });

  it('HEAD answers without a body; unknown paths 404; other methods 405', async () => {
    const { base } = await start(() => true);
    const head = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const missing = await fetch(`${base}/nope`);
    expect(missing.status).toBe(404);
    await missing.text();
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('close() stops listening', async () => {
    const { base } = await start(() => true);
    await (await fetch(`${base}/healthz`)).text();
    await server!.close();
    server = undefined;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    await start(() => true);
    const metrics = createMetrics();
    await expect(startHealthServer({ port: server!.port, host: '127.0.0.1', ready: () => true, registry: metrics.registry })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('createMetrics', () => {
  it('gives each call its own registry with every documented metric', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.slackRetries.inc();
    a.kubeApiErrors.inc({ code: '409' });
    a.slackApiErrors.inc({ method: 'chat.postMessage', error: 'not_in_channel' });
    a.pipelineDuration.observe({ engine: 'MySQL', outcome: 'Succeeded' }, 42);
    const names = (await a.registry.getMetricsAsJSON()).map((m) => m.name);
    for (const n of [
      'dbupdate_requests_total',
      'dbupdate_approvals_total',
      'dbupdate_pipeline_duration_seconds',
      'dbupdate_step_duration_seconds',
      'dbupdate_slack_api_errors_total',
      'dbupdate_slack_retries_total',
      'dbupdate_kube_api_errors_total',
      'dbupdate_leader',
    ]) {
      expect(names).toContain(n);
    }
    const textA = await a.registry.metrics();
    expect(textA).toMatch(/^dbupdate_slack_retries_total 1$/m);
    expect(textA).toMatch(/^dbupdate_kube_api_errors_total\{code="409"\} 1$/m);
    expect(textA).toMatch(/^dbupdate_slack_api_errors_total\{method="chat.postMessage",error="not_in_channel"\} 1$/m);
    expect(textA).toMatch(/^dbupdate_pipeline_duration_seconds_count\{engine="MySQL",outcome="Succeeded"\} 1$/m);
    expect(textA).toMatch(/^dbupdate_leader 0$/m);
    expect(await b.registry.metrics()).toMatch(/^dbupdate_slack_retries_total 0$/m);
  });

  it('applies default labels to every series', async () => {
    const m = createMetrics({ defaultLabels: { cluster: 'prod-eu' } });
    m.leader.set(1);
    expect(await m.registry.metrics()).toMatch(/^dbupdate_leader\{cluster="prod-eu"\} 1$/m);
  });
});

describe('likely causes of a Socket Mode WebSocket that does not open', () => {
  it('names the proxy, the firewall, DNS or the app token from the last cause and the environment', async () => {
    const { likelyCause, parseTimeout } = await import('../src/startup/socket-watch.js');
    const host = 'wss-primary.slack.com';
    expect(likelyCause(host, 'HTTP 401', {})).toMatch(/^the app token: .*SLACK_APP_TOKEN/);
    expect(likelyCause(host, 'ECONNREFUSED', { HTTPS_PROXY: 'http://proxy:3128' })).toMatch(/^a proxy: HTTPS_PROXY is set, .* connects to wss-primary\.slack\.com directly \(ECONNREFUSED\)/);
    expect(likelyCause(host, 'HTTP 403', {})).toMatch(/^a proxy or firewall that refuses WebSocket upgrades to wss-primary\.slack\.com \(HTTP 403\)/);
    expect(likelyCause(host, 'ETIMEDOUT', {})).toMatch(/^a firewall or network policy blocking egress to wss-primary\.slack\.com:443 \(ETIMEDOUT\)/);
    expect(likelyCause(host, 'ENOTFOUND', {})).toMatch(/^DNS: /);
    expect(likelyCause(host, undefined, {})).toMatch(/proxy or firewall .* or the app token/);
    expect([parseTimeout('2m'), parseTimeout('90s'), parseTimeout('1500ms'), parseTimeout('500'), parseTimeout('soon'), parseTimeout(undefined)]).toEqual([120_000, 90_000, 1500, 500, undefined, undefined]);
  });
});
