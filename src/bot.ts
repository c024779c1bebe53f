/**
 * Wires one bot instance: the Bolt app and its handlers, the reconciler and the notifier, over one
 * cluster and one Slack workspace. Used by `main.ts` (real credentials), `demo.ts` and the tests
 * (embedded emulators).
 */
import type { Logger } from 'pino';
import type { Kube } from './kube/client.js';
import { RecordStore } from './kube/records.js';
import type { Config } from './policy/config.js';
import { createSlackApp, type SlackSettings } from './slack/app.js';
import { registerHandlers } from './slack/handlers.js';
import { Notifier } from './slack/notifier.js';
import { Reconciler } from './updates/reconciler.js';

/** A running bot. */
export interface Bot {
  records: RecordStore;
  stop(): Promise<void>;
}

/** Start a bot; resolves when Slack is connected and the records are cached. */
export async function startBot(opts: { kube: Kube; config: Config; slack: SlackSettings; log: Logger; now?: () => Date }): Promise<Bot> {
  const { kube, config, log } = opts;
  const records = new RecordStore(kube, config.recordsNamespace);
  const app = createSlackApp(opts.slack, log);
  registerHandlers(app, { kube, records, config, log, now: opts.now });
  const notifier = new Notifier(app.client, records, log);
  const reconciler = new Reconciler({
    kube,
    records,
    log,
    opsRequestTimeout: config.opsRequestTimeout,
    now: opts.now,
    onRecord: (r) => notifier.onRecord(r),
  });
  await reconciler.start();
  await app.start();
  log.info({ cluster: kube.name, recordsNamespace: config.recordsNamespace }, 'dbupdate started');
  return {
    records,
    async stop() {
      await app.stop();
      await reconciler.stop();
      await notifier.stop();
    },
  };
}
