// The bot alone in a process, for the scale benchmark's RSS (bench/scale.ts forks it). Plain JavaScript
// so that it runs with plain `node` on the compiled sources: argv[2] is the directory of the compiled
// `src/` (or `src/` itself when the process runs with `--import tsx`), argv[3] the JSON of
// { kubeconfig, slack: { botToken, appToken, apiUrl }, config }. IPC: sends { ready } once the bot has
// started; answers { op: 'gc' | 'measure' | 'report' | 'preflight' | 'stop' }. `preflight` ({ namespace,
// names, version }) times `preflight()` of src/updates/preflight.ts once per name, one after another,
// called as the request handler calls it (src/slack/handlers.ts `requestUpdate`): the bot's own home
// Kube and its RecordStore (`bot.records`), the configured backend; answers { ms: number[], codes }.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';

const MB = 1024 * 1024;
const dir = process.argv[2];
const args = JSON.parse(process.argv[3]);
const mod = (p) => import(pathToFileURL(join(dir, p)).href);
const { startBot } = await mod('bot.js');
const { Kube } = await mod('kube/client.js');
const { validateConfig } = await mod('policy/config.js');
const { createLogger } = await mod('log.js');
const { preflight } = await mod('updates/preflight.js');
const { findEngine } = await mod('engines/table.js');

const kc = new KubeConfig();
kc.loadFromString(args.kubeconfig);
const kube = new Kube(kc, 'sim');
const config = validateConfig(args.config);
const bot = await startBot({ kube, config, log: createLogger('silent'), slack: { ...args.slack, retries: 2 } });

let peak = process.memoryUsage().rss;
setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20).unref();
let eld;
const settle = async () => {
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 500));
  globalThis.gc?.();
};
process.on('message', async (m) => {
  if (m.op === 'gc') {
    await settle();
    process.send({ rssMb: process.memoryUsage().rss / MB, heapUsedMb: process.memoryUsage().heapUsed / MB });
  } else if (m.op === 'measure') {
    eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    process.send({ ok: true });
  } else if (m.op === 'report') {
    eld?.disable();
    process.send({
      rssMb: process.memoryUsage().rss / MB,
      peakRssSampledMb: Math.max(peak, process.memoryUsage().rss) / MB,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      heapUsedMb: process.memoryUsage().heapUsed / MB,
      eldMs: eld ? { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6, mean: eld.mean / 1e6 } : undefined,
    });
  } else if (m.op === 'preflight') {
    const ms = [];
    const codes = {};
    try {
      for (const name of m.names) {
        const t0 = process.hrtime.bigint();
        const pf = await preflight({ kube, records: bot.records, engine: findEngine('mysql'), namespace: m.namespace, name, version: m.version, backend: config.backend });
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        const code = pf.ok ? 'ok' : pf.code;
        codes[code] = (codes[code] ?? 0) + 1;
      }
      process.send({ ms, codes });
    } catch (err) {
      process.send({ ms, codes, failed: String(err?.stack ?? err) });
    }
  } else if (m.op === 'stop') {
    await bot.stop();
    process.send({ stopped: true });
    setTimeout(() => process.exit(0), 50);
  }
});
process.send({ ready: true });
