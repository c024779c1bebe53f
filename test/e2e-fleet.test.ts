/**
 * Fleet updates end to end (issue #19 item 1), on the emulator and on the REAL kube-apiserver: typed as
 * a user types them into the Slack emulator, through the real Bolt app, the batch request step, the
 * leader's batch controller and notifier, the update controller and the simulated KubeDB (Ops Manager).
 *
 * - `-l tier=staging`: the plan (will update / nothing to do / refused), one approval for the batch, a
 *   canary wave then a wave of two after the soak, each member its own `DatabaseUpdate` labelled with the
 *   batch, one parent message as a live table and a summarised thread (no per-member step posts); a
 *   second click of the same approver counts once; cancelling the finished batch is refused.
 * - names (`a,b,c`): the canary fails → Halted (the rest held); Resume goes on past it → Failed (with
 *   failures), the others updated.
 * - `-l '!fleet' -n billing`: the canary fails → Abort → the rest never start.
 * - `--all -n billing`: the leader hands over mid-batch; the next carries on from the records.
 * - a drift report's *Request update* → the form prefilled → a fleet request → cancelled while Pending.
 * - bad input: unknown label syntax, an empty selection, every member refused: an answer, nothing written.
 * - maintenance windows (MariaDB: a window once a year): the canary waits Scheduled, the next wave waits;
 *   cancelling the batch cancels the scheduled member.
 * - retention of finished batches through the bot's own RBAC.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, USERS, startWorld, type World } from '../sim/world.js';
import { startRealWorld, type RealWorld } from '../sim/world-real.js';
import { CLUSTER_KINDS, type ClusterKind } from '../sim/clusters.js';
import { buttonValue, pollUntil } from '../sim/script.js';
import { databaseObject } from '../sim/kubedb/seed.js';
import { findEngine } from '../src/engines/table.js';
import { getDatabase } from '../src/kube/kubedb.js';
import { databaseUpdateBatches, databases } from '../src/kube/resources.js';
import { RecordStore } from '../src/updates/records.js';
import { BatchStore } from '../src/updates/batch-records.js';
import { sweepBatchRetention } from '../src/updates/batch-retention.js';
import { createLogger } from '../src/log.js';
import { LABEL_BATCH, batchFinished, type DatabaseUpdateBatch } from '../src/api/v1alpha1/databaseupdatebatch.js';
import { ACTION_BATCH_ABORT, ACTION_BATCH_APPROVE, ACTION_BATCH_REJECT, ACTION_BATCH_RESUME } from '../src/slack/render-batch.js';
import type { SlackMessage } from '../sim/slack/server.js';
import { DRIFT_REQUEST_ACTION, parseRequestValue } from '../src/drift/render.js';

const mysql = findEngine('mysql')!;
const SOAK_S = 1;

describe.each(CLUSTER_KINDS)('fleet updates on the %s', (kind: ClusterKind) => {
  let w: World | RealWorld;
  let ns: (n: string) => string;
  let records: RecordStore;
  let batches: BatchStore;

  /** A standalone MySQL in seed namespace `space`, with `labels`, at `version`. */
  async function addDatabase(space: string, name: string, version: string, labels: Record<string, string> = {}, engine = 'mysql') {
    const obj = databaseObject({ engine, namespace: ns(space), name, version, replicas: 1, becomesReady: true });
    await databases(w.cluster.kube, findEngine(engine)!).create({ ...obj, metadata: { ...obj.metadata, name, namespace: ns(space), labels } } as never);
  }

  beforeAll(async () => {
    // MariaDB updates may start only in a window once a year (closed now): the windows scenario.
    const rules = [{ match: { engine: ['mariadb'] }, windows: [{ cron: '0 3 1 1 *', duration: '1h' }] }];
    // A 6 s Lease: a candidate looks every renew period (a third of it), so the hand-overs below take 2 s, not 10.
    const opts = { sim: { podReadyDelayMs: 15, stepDelayMs: 15 }, config: { fleet: { maxParallel: 2, soak: `${SOAK_S}s` }, rules, leaseDurationSeconds: 6 }, batchEditMs: 100 };
    w = kind === 'emulator' ? await startWorld(opts) : await startRealWorld(opts);
    ns = kind === 'emulator' ? (n) => n : (w as RealWorld).cluster.ns;
    const home = kind === 'emulator' ? (w as World).cluster.kube : (w as RealWorld).cluster.kube;
    records = new RecordStore(home, w.config.recordsNamespace);
    batches = new BatchStore(home, w.config.recordsNamespace);
    await Promise.all([
      addDatabase('demo', 'fleet-a', '8.0.35', { tier: 'staging' }),
      addDatabase('demo', 'fleet-b', '8.0.35', { tier: 'staging' }),
      addDatabase('demo', 'fleet-c', '8.0.35', { tier: 'staging' }),
      addDatabase('demo', 'fleet-d', '8.4.8', { tier: 'staging' }),
      addDatabase('demo', 'halt-a', '8.0.35'),
      addDatabase('demo', 'halt-b', '8.0.35'),
      addDatabase('demo', 'halt-c', '8.0.35'),
      addDatabase('billing', 'abort-a', '8.0.35'),
      addDatabase('billing', 'abort-b', '8.0.35'),
      addDatabase('billing', 'restart-a', '8.0.35', { fleet: 'restart' }),
      addDatabase('billing', 'restart-b', '8.0.35', { fleet: 'restart' }),
      addDatabase('billing', 'restart-c', '8.0.35', { fleet: 'restart' }),
      addDatabase('demo', 'catalog-b', '10.11.6', {}, 'mariadb'),
    ]);
    // demo/legacy (never Ready) joins the staging tier: preflight refuses it, the rest go ahead.
    await databases(w.cluster.kube, mysql).mergePatch(ns('demo'), 'legacy', { metadata: { labels: { tier: 'staging' } } } as never);
    await pollUntil(
      async () => {
        const all = await Promise.all(
          [['demo', 'fleet-a'], ['demo', 'fleet-b'], ['demo', 'fleet-c'], ['demo', 'fleet-d'], ['demo', 'halt-a'], ['demo', 'halt-b'], ['demo', 'halt-c'], ['billing', 'abort-a'], ['billing', 'abort-b'], ['billing', 'restart-a'], ['billing', 'restart-b'], ['billing', 'restart-c']].map(([s, n]) =>
            getDatabase(w.cluster.kube, mysql, ns(s), n),
          ),
        );
        return all.every((d) => d?.status?.phase === 'Ready');
      },
      60_000,
      () => 'the fleet databases to be Ready',
    );
  }, 180_000);
  afterAll(async () => {
    await w?.stop();
  });

  /** Alice types `/dbupdate <text>`; her final ephemeral answer. */
  async function ask(text: string, user: string = USERS.requester): Promise<string> {
    const before = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user).length;
    await w.slack.typeCommand({ user, channel: CHANNEL, text });
    const replies = await w.slack.waitFor(
      () => {
        const eph = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === user).slice(before);
        return eph.some((m) => !m.text.startsWith(':mag:') && !m.text.startsWith(':hourglass')) ? eph : undefined;
      },
      { timeoutMs: 30_000, what: `an answer to "/dbupdate ${text}"` },
    );
    return replies.filter((m) => !m.text.startsWith(':mag:') && !m.text.startsWith(':hourglass')).map((m) => m.text).join('\n');
  }

  /** The batch named in an answer, once its parent message is posted. */
  async function posted(answer: string): Promise<{ batch: DatabaseUpdateBatch; parent: SlackMessage }> {
    const name = /batch `(fleet-[a-z0-9-]+)`/.exec(answer)?.[1];
    expect(name, answer).toBeDefined();
    const batch = await pollUntil(async () => {
      const b = await batches.get(name!);
      return b?.status?.slack?.ts ? b : undefined;
    }, 20_000, () => `batch ${name} to be posted`);
    return { batch, parent: w.slack.message(CHANNEL, batch.status!.slack!.ts!)! };
  }

  async function click(parent: SlackMessage, user: string, actionId: string): Promise<void> {
    const fresh = w.slack.message(CHANNEL, parent.ts) ?? parent;
    await w.slack.clickButton({ user, channel: CHANNEL, messageTs: parent.ts, actionId, value: buttonValue(fresh, actionId) });
  }

  async function until(name: string, done: (b: DatabaseUpdateBatch) => boolean, what: string, timeoutMs = 90_000): Promise<DatabaseUpdateBatch> {
    let last: DatabaseUpdateBatch | undefined;
    return pollUntil(async () => {
      last = await batches.get(name);
      return last && done(last) ? last : undefined;
    }, timeoutMs, () => `batch ${name} ${what} (status now ${JSON.stringify(last?.status)})`);
  }

  /** The batch's parent once it shows `pattern` (the notifier edits it after the batch changed). */
  async function parentShows(parent: SlackMessage, pattern: RegExp): Promise<string> {
    const text = () => JSON.stringify(w.slack.message(CHANNEL, parent.ts)?.blocks ?? []);
    return w.slack.waitFor(() => (pattern.test(text()) ? text() : undefined), { timeoutMs: 20_000, what: `the parent to show ${pattern}; it shows ${text().slice(0, 400)}` });
  }

  it("a drift report's Request update opens the form prefilled with the group; submitted, it is a fleet request; cancelled while pending, nothing starts", async () => {
    const cmd = await w.slack.typeCommand({ user: USERS.requester, channel: CHANNEL, text: `drift mysql -n ${ns('billing')}` });
    const report = await pollUntil(async () => cmd.responses()[0] as { blocks?: Array<{ accessory?: { action_id: string; value: string } }> } | undefined, 20_000, () => 'the drift report');
    const group = (report.blocks ?? []).find((b) => b.accessory?.action_id === DRIFT_REQUEST_ACTION && parseRequestValue(b.accessory.value)?.d.includes('abort-a'))!;
    expect(group, JSON.stringify(report.blocks)).toBeDefined();
    const msg = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).at(-1)!;
    const opened = w.slack.openViews().length;
    await w.slack.clickButton({ user: USERS.requester, channel: CHANNEL, messageTs: msg.ts, actionId: DRIFT_REQUEST_ACTION, value: group.accessory!.value });
    const view = await w.slack.waitFor(() => w.slack.openViews()[opened], { timeoutMs: 10_000, what: 'the request form' });
    const els = Object.fromEntries((view.view.blocks as Array<{ block_id?: string; element?: Record<string, any> }>).filter((b) => b.block_id).map((b) => [b.block_id, b.element!]));
    const group_ = parseRequestValue(group.accessory!.value)!;
    expect(els.database.initial_value).toBe(group_.d.map((d) => `${ns('billing')}/${d}`).join(','));
    expect(group_.d).toEqual(expect.arrayContaining(['abort-a', 'abort-b', 'restart-a']));
    await w.slack.submitView({
      user: USERS.requester,
      viewId: view.id,
      values: {
        engine: { engine: { type: 'static_select', selected_option: { value: els.engine.initial_option.value } } },
        database: { database: { type: 'plain_text_input', value: els.database.initial_value } },
        version: { version: { type: 'plain_text_input', value: els.version.initial_value } },
        channel: { channel: { type: 'channels_select', selected_channel: CHANNEL } },
        reason: { reason: { type: 'plain_text_input', value: els.reason.initial_value } },
      } as never,
    });
    // In the form when it answers within the ack budget, else as an ephemeral message in the channel.
    const answer = await w.slack.waitFor(() => {
      const t = JSON.stringify(w.slack.openViews().find((v) => v.id === view.id)?.view ?? {});
      if (/Fleet update requested as batch/.test(t)) return t;
      return w.slack.messages(CHANNEL).find((m) => m.ephemeralTo === USERS.requester && /Fleet update requested as batch/.test(m.text))?.text;
    }, { timeoutMs: 30_000, what: 'the form to answer' });
    const { batch } = await posted(answer.replace(/\\`/g, '`'));
    expect(batch.spec.members.map((m) => m.name)).toEqual(group_.d);
    expect(await ask(`cancel ${batch.metadata.name}`)).toMatch(/Batch `fleet-mysql-[0-9a-f]{8}` is cancelled/);
    const done = await until(batch.metadata.name, (b) => b.status?.phase === 'Cancelled', 'to be cancelled');
    expect(done.status?.cancellation?.user).toBe(USERS.requester);
    expect(await records.list(`${LABEL_BATCH}=${batch.metadata.name}`)).toEqual([]);
  }, 60_000);

  it('-l tier=staging: the plan, one approval, a canary then a wave of two after the soak, one live table, a summarised thread', async () => {
    const answer = await ask(`mysql -l tier=staging 8.4 --reason "CVE-2026-1"`);
    expect(answer).toMatch(/Will update \(3\)/);
    expect(answer).toMatch(new RegExp(`\`${ns('demo')}/fleet-a\` 8\\.0\\.35 → \\*8\\.4\\.8\\* \\(major`));
    expect(answer).toMatch(/Nothing to do \(1\)[^]*fleet-d/);
    expect(answer).toMatch(/Refused \(1\)[^]*legacy/);
    const { batch, parent } = await posted(answer);
    expect(batch.spec.members.map((m) => m.name)).toEqual(['fleet-a', 'fleet-b', 'fleet-c']);
    expect(batch.spec.approvalsRequired).toBe(1);
    // The approvers are asked only once the batch is recorded; no member record exists before approval.
    expect((await records.list(`${LABEL_BATCH}=${batch.metadata.name}`)).length).toBe(0);
    expect(JSON.stringify(parent.blocks)).toMatch(/Waiting for approval/);

    await click(parent, USERS.approver, ACTION_BATCH_APPROVE);
    // A second click of the same approver is counted once.
    await click(parent, USERS.approver, ACTION_BATCH_APPROVE);
    const done = await until(batch.metadata.name, (b) => batchFinished(b.status?.phase), 'to finish');
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    expect(done.status?.approvals?.map((v) => v.user)).toEqual([USERS.approver]);

    const members = await records.list(`${LABEL_BATCH}=${batch.metadata.name}`);
    expect(members.map((r) => [r.spec.database.name, r.status?.phase, r.spec.batch]).sort()).toEqual([
      ['fleet-a', 'Succeeded', batch.metadata.name],
      ['fleet-b', 'Succeeded', batch.metadata.name],
      ['fleet-c', 'Succeeded', batch.metadata.name],
    ]);
    for (const r of members) expect(r.status?.approvals?.map((v) => v.user)).toEqual([USERS.approver]);
    const at = (n: string, f: 'startedAt' | 'finishedAt') => Date.parse(members.find((r) => r.spec.database.name === n)!.status![f]!);
    // The canary finished, then the soak, then the wave of two started.
    expect(at('fleet-b', 'startedAt') - at('fleet-a', 'finishedAt')).toBeGreaterThanOrEqual(SOAK_S * 1000);
    expect(at('fleet-c', 'startedAt') - at('fleet-a', 'finishedAt')).toBeGreaterThanOrEqual(SOAK_S * 1000);
    for (const n of ['fleet-a', 'fleet-b', 'fleet-c']) expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), n))?.spec.version).toBe('8.4.8');
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'fleet-d'))?.spec.version).toBe('8.4.8');
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'legacy'))?.spec.version).toBe('8.0.35');

    // One parent message as the live table; no member posted a message of its own.
    await parentShows(parent, /3 members · 3 succeeded/);
    const top = w.slack.messages(CHANNEL).filter((m) => !m.ephemeralTo && !m.thread_ts);
    expect(top.filter((m) => /fleet-a|fleet-b|fleet-c/.test(JSON.stringify(m.blocks ?? m.text)))).toHaveLength(1);
    const thread = await w.slack.waitFor(() => {
      const t = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
      return t.some((l) => /Succeeded/.test(l)) ? t : undefined;
    }, { timeoutMs: 20_000, what: 'the closing thread post' });
    expect(thread.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual([':white_check_mark: Approved by', ':arrow_forward: Wave 1', ':arrow_forward: Wave 2', ':white_check_mark: *Succeeded* —']);

    // `/dbupdate status` of a member names its batch.
    expect(await ask(`status fleet-b -n ${ns('demo')}`)).toContain(`batch \`${batch.metadata.name}\``);

    // The batch is a Kubernetes object: the real `kubectl get dbub` prints it with the CRD's printer columns.
    const listed = await databaseUpdateBatches(w.cluster.kube).list(w.config.recordsNamespace);
    expect(listed.find((b) => b.metadata.name === batch.metadata.name)?.status?.memberCount).toBe(3);
    const kubeconfig = join(mkdtempSync(join(tmpdir(), 'fleet-')), 'kubeconfig');
    writeFileSync(kubeconfig, w.cluster.kubeConfig.exportConfig());
    // Asynchronously: the emulator serves from this very process.
    const { stdout: printed } = await promisify(execFile)('kubectl', ['--kubeconfig', kubeconfig, 'get', 'dbub', '-n', w.config.recordsNamespace], { encoding: 'utf8', timeout: 30_000 });
    expect(printed.split('\n')[0]).toMatch(/^NAME\s+ENGINE\s+SELECTION\s+VERSION\s+MEMBERS\s+WAVE\s+PHASE\s+AGE/);
    expect(printed).toMatch(new RegExp(`${batch.metadata.name}\\s+MySQL\\s+-l tier=staging in \\S+\\s+8\\.4\\s+3\\s+1\\s+Succeeded`));

    // Cancelling the finished batch is refused and changes nothing.
    expect(await ask(`cancel ${batch.metadata.name}`)).toMatch(/already succeeded; nothing was changed/);
    expect((await batches.get(batch.metadata.name))?.status?.phase).toBe('Succeeded');
  }, 180_000);

  it('names: the canary fails, the batch halts with the rest held; Resume goes on past it', async () => {
    w.cluster.sim.faults.failOpsAt('images');
    try {
      const answer = await ask('mysql halt-a,halt-b,halt-c 8.4');
      expect(answer).toMatch(/Will update \(3\)/);
      const { batch, parent } = await posted(answer);
      await click(parent, USERS.approver, ACTION_BATCH_APPROVE);
      const halted = await until(batch.metadata.name, (b) => b.status?.phase === 'Halted', 'to halt');
      expect(halted.status?.halt?.member).toBe(`${ns('demo')}/halt-a`);
      expect((await records.list(`${LABEL_BATCH}=${batch.metadata.name}`)).map((r) => r.spec.database.name)).toEqual(['halt-a']);
      await parentShows(parent, /Halted[^]*dbupdate_batch_resume/);
      // `/dbupdate list` names the batch in flight, with its phase and how many members are done.
      const line = new RegExp(`batch \`${batch.metadata.name}\` MySQL [^—]*halt-c → 8\\.4 — \\*Halted\\* \\(0 of 3 updated; by <@${USERS.requester}>\\)`);
      expect(await ask('list')).toMatch(line);
      // So does the Home tab of an approver.
      const before = JSON.stringify(w.slack.homeView(USERS.approver) ?? null);
      await w.slack.openAppHome({ user: USERS.approver });
      const home = await w.slack.waitFor(() => { const v = JSON.stringify(w.slack.homeView(USERS.approver) ?? null); return v !== before && v.includes(batch.metadata.name) ? v : undefined; }, { timeoutMs: 10_000, what: 'the Home tab with the batch' });
      expect(JSON.parse(home).blocks.map((b: { text?: { text: string } }) => b.text?.text ?? '').join('\n')).toMatch(new RegExp(line.source.replace(/^batch/, '^batch'), 'm'));
    } finally {
      w.cluster.sim.faults.failOpsAt(undefined);
    }
    const b = (await batches.list()).find((x) => x.spec.selection.includes('halt-a'))!;
    const parent = w.slack.message(CHANNEL, b.status!.slack!.ts!)!;
    // Someone who is not an approver cannot resume it.
    await click(parent, USERS.outsider, ACTION_BATCH_RESUME);
    await w.slack.waitFor(() => w.slack.messages(CHANNEL).find((m) => m.ephemeralTo === USERS.outsider && /Only an approver/.test(m.text)), { timeoutMs: 10_000, what: 'the refusal' });
    expect((await batches.get(b.metadata.name))?.status?.phase).toBe('Halted');
    await click(parent, USERS.approver, ACTION_BATCH_RESUME);
    const done = await until(b.metadata.name, (x) => batchFinished(x.status?.phase), 'to finish after Resume');
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.message).toMatch(/failed: .*halt-a/);
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'halt-b'))?.spec.version).toBe('8.4.8');
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'halt-c'))?.spec.version).toBe('8.4.8');
    const thread = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
    expect(thread.filter((l) => /Halted: /.test(l))).toHaveLength(1);
    expect(thread.filter((l) => /Resumed past/.test(l))).toHaveLength(1);
  }, 180_000);

  it("-l '!fleet' -n billing: the canary fails, Abort starts no more", async () => {
    w.cluster.sim.faults.failOpsAt('images');
    let name = '';
    try {
      const answer = await ask(`mysql -l '!fleet' -n ${ns('billing')} 8.4`);
      expect(answer).toMatch(/Will update \(2\)/);
      const { batch, parent } = await posted(answer);
      name = batch.metadata.name;
      await click(parent, USERS.approver, ACTION_BATCH_APPROVE);
      await until(name, (b) => b.status?.phase === 'Halted', 'to halt');
      await parentShows(parent, /dbupdate_batch_abort/);
      await click(w.slack.message(CHANNEL, parent.ts)!, USERS.approver2, ACTION_BATCH_ABORT);
      const done = await until(name, (b) => batchFinished(b.status?.phase), 'to be aborted');
      expect(done.status?.phase).toBe('Aborted');
      expect(done.status?.cancellation?.user).toBe(USERS.approver2);
      await parentShows(parent, /Aborted/);
    } finally {
      w.cluster.sim.faults.failOpsAt(undefined);
    }
    expect((await records.list(`${LABEL_BATCH}=${name}`)).map((r) => r.spec.database.name)).toEqual(['abort-a']);
    expect((await getDatabase(w.cluster.kube, mysql, ns('billing'), 'abort-b'))?.spec.version).toBe('8.0.35');
    // A cancel after the abort is refused: the batch is finished.
    expect(await ask(`cancel ${name}`)).toMatch(/already aborted/);
  }, 180_000);

  it('--all: the leader hands over mid-batch; the next one carries on from the records, each thread line once', async () => {
    const second = await w.startBot();
    const answer = await ask(`mysql --all -n ${ns('billing')} 8.0.36`);
    // abort-a (failed, paused by Ops Manager) is refused; abort-b and restart-* go ahead.
    expect(answer).toMatch(/Will update \(4\)/);
    expect(answer).toMatch(/Refused \(1\)[^]*abort-a/);
    const { batch, parent } = await posted(answer);
    await click(parent, USERS.approver, ACTION_BATCH_APPROVE);
    await until(batch.metadata.name, (b) => (b.status?.wave ?? -1) >= 0, 'to start its canary');
    await w.bot.stop();
    await pollUntil(async () => second.isLeader() || undefined, 30_000, () => 'the second replica to lead');
    const done = await until(batch.metadata.name, (b) => batchFinished(b.status?.phase), 'to finish under the new leader');
    expect(done.status?.phase, done.status?.message).toBe('Succeeded');
    for (const n of ['abort-b', 'restart-a', 'restart-b', 'restart-c']) expect((await getDatabase(w.cluster.kube, mysql, ns('billing'), n))?.spec.version).toBe('8.0.36');
    const thread = await w.slack.waitFor(() => {
      const t = w.slack.replies(CHANNEL, parent.ts).map((m) => m.text);
      return t.some((l) => /Succeeded/.test(l)) ? t : undefined;
    }, { timeoutMs: 20_000, what: 'the closing thread post' });
    expect(thread.map((l) => l.split(':')[1])).toEqual(['white_check_mark', 'arrow_forward', 'arrow_forward', 'arrow_forward', 'white_check_mark']);
    expect(new Set(thread).size).toBe(thread.length);

    // A leader killed between its posts and their record leaves the keys out of status.slack.posted: the
    // next leader finds them in the thread (message metadata) and posts nothing twice.
    await databaseUpdateBatches(w.cluster.kube).mergePatchStatus(w.config.recordsNamespace, batch.metadata.name, { status: { slack: { posted: null } } } as never);
    const third = await w.startBot();
    await second.stop();
    await pollUntil(async () => third.isLeader() || undefined, 30_000, () => 'the third replica to lead');
    await until(batch.metadata.name, (b) => (b.status?.slack?.posted ?? []).length === thread.length, 'to have its posts found in the thread');
    expect(w.slack.replies(CHANNEL, parent.ts).map((m) => m.text)).toEqual(thread);
  }, 180_000);

  it('bad input: unknown label syntax, an empty selection, every member refused — an answer, nothing written', async () => {
    const before = (await batches.list()).length;
    expect(await ask('mysql -l "tier in staging" 8.4')).toMatch(/is not a label requirement[^]*Usage: `\/dbupdate <engine> -l SELECTOR/);
    expect(await ask('mysql -l tier=nowhere 8.4')).toMatch(/No MySQL database in namespace `[a-z0-9-]*demo` matches `-l tier=nowhere`, so nothing was requested/);
    const refused = await ask('mysql legacy,no-such-db 8.4');
    expect(refused).toMatch(/Nothing to update: no selected database can be updated/);
    expect(refused).toMatch(/Refused \(2\)[^]*legacy[^]*no-such-db/);
    expect((await batches.list()).length).toBe(before);
  }, 60_000);

  it("members wait for their maintenance windows: the canary is Scheduled and the next wave waits; cancel cancels the scheduled member", async () => {
    const mariadb = findEngine('mariadb')!;
    await pollUntil(async () => (await getDatabase(w.cluster.kube, mariadb, ns('demo'), 'catalog-b'))?.status?.phase === 'Ready' || undefined, 60_000, () => 'catalog-b to be Ready');
    const answer = await ask('mariadb catalogdb,catalog-b 10.11.16');
    expect(answer).toMatch(/Will update \(2\)/);
    const { batch, parent } = await posted(answer);
    await click(parent, USERS.approver, ACTION_BATCH_APPROVE);
    const canary = await pollUntil(async () => (await records.list(`${LABEL_BATCH}=${batch.metadata.name}`)).find((r) => r.status?.phase === 'Scheduled'), 30_000, () => 'the canary to be Scheduled');
    expect(canary.spec.database.name).toBe('catalogdb');
    expect(new Date(canary.status!.scheduledFor!).toISOString()).toMatch(/-01-01T03:00:00\.000Z$/);
    await parentShows(parent, /Scheduled/);
    expect((await batches.get(batch.metadata.name))?.status).toMatchObject({ phase: 'Running', wave: 0 });
    expect(await records.list(`${LABEL_BATCH}=${batch.metadata.name}`)).toHaveLength(1);
    expect(await ask(`cancel ${batch.metadata.name}`)).toMatch(/is cancelled/);
    await pollUntil(async () => (await records.get(canary.metadata.name))?.status?.phase === 'Cancelled' || undefined, 30_000, () => 'the scheduled canary to be cancelled');
    expect((await getDatabase(w.cluster.kube, mariadb, ns('demo'), 'catalogdb'))?.spec.version).toBe('10.11.6');
    await until(batch.metadata.name, (b) => (b.status?.slack?.posted ?? []).includes('done'), 'to post its end');
  }, 90_000);

  it('Reject asks the approver for a reason, as a request\'s does: refused to others, an empty reason is a field error, then Rejected with the reason and nothing started', async () => {
    await Promise.all([addDatabase('demo', 'rej-a', '8.0.35'), addDatabase('demo', 'rej-b', '8.0.35')]);
    await pollUntil(async () => (await Promise.all(['rej-a', 'rej-b'].map((n) => getDatabase(w.cluster.kube, mysql, ns('demo'), n)))).every((d) => d?.status?.phase === 'Ready') || undefined, 60_000, () => 'rej-a and rej-b to be Ready');
    const { batch, parent } = await posted(await ask('mysql rej-a,rej-b 8.0.36'));
    const opened = w.slack.openViews().length;
    // Not an approver: told so, no form.
    const before = w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).length;
    await click(parent, USERS.requester, ACTION_BATCH_REJECT);
    const refusal = await w.slack.waitFor(() => w.slack.messages(CHANNEL).filter((m) => m.ephemeralTo === USERS.requester).slice(before)[0], { timeoutMs: 10_000, what: 'the refusal' });
    expect(refusal.text).toMatch(/not an approver for this batch/);
    expect(w.slack.openViews()).toHaveLength(opened);
    // The approver: the reason form, for this batch.
    await click(parent, USERS.approver, ACTION_BATCH_REJECT);
    const view = await w.slack.waitFor(() => w.slack.openViews()[opened], { timeoutMs: 10_000, what: 'the reject form' });
    expect(JSON.stringify(view.view)).toContain(batch.metadata.name);
    const empty = await w.slack.submitView({ user: USERS.approver, viewId: view.id, values: { reason: { reason_input: { type: 'plain_text_input', value: '  ' } } } });
    expect(empty.ackPayload).toMatchObject({ response_action: 'errors' });
    expect((await batches.get(batch.metadata.name))?.status?.phase ?? 'Pending').toBe('Pending');
    await w.slack.submitView({ user: USERS.approver, viewId: view.id, values: { reason: { reason_input: { type: 'plain_text_input', value: 'Not during the <quarter> close' } } } });
    const done = await until(batch.metadata.name, (b) => b.status?.phase === 'Rejected', 'to be Rejected', 20_000);
    expect(done.status?.rejection).toMatchObject({ user: USERS.approver, reason: 'Not during the <quarter> close' });
    await parentShows(parent, /Rejected.*Not during the &lt;quarter&gt; close/);
    expect(await records.list(`${LABEL_BATCH}=${batch.metadata.name}`)).toEqual([]);
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'rej-a'))?.spec.version).toBe('8.0.35');
  }, 120_000);

  it('a member written but not started is held while its batch is halted (as one waiting for its window would be), and starts once nothing holds it', async () => {
    await addDatabase('demo', 'hold-a', '8.0.35');
    await pollUntil(async () => (await getDatabase(w.cluster.kube, mysql, ns('demo'), 'hold-a'))?.status?.phase === 'Ready' || undefined, 60_000, () => 'hold-a to be Ready');
    const name = 'fleet-mysql-holdtest';
    const rns = w.config.recordsNamespace;
    const at = new Date().toISOString();
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const member = { namespace: ns('demo'), name: 'hold-a', fromVersion: '8.0.35', targetVersion: '8.0.36', updateType: 'patch' as const, backend: 'ops-request' as const };
    // A batch halted by a failure in its current wave, and a member of that wave approved but not started
    // (what a member waiting for its maintenance window is when the window opens).
    await batches.create({
      apiVersion: 'dbupdate.dev/v1alpha1',
      kind: 'DatabaseUpdateBatch',
      metadata: { name, namespace: rns },
      spec: { engine: 'MySQL', cluster: w.config.clusterName, selection: 'hold-a', requestedVersion: '8.0.36', requester: USERS.requester, channel: CHANNEL, expiresAt, approvers: [USERS.approver], approvalsRequired: 1, maxParallel: 2, soakSeconds: 1, members: [member] },
    } as DatabaseUpdateBatch);
    await batches.mutateStatus(name, (st) => {
      st.phase = 'Halted';
      st.wave = 0;
      st.halt = { record: 'another-member', member: `${ns('demo')}/another`, message: 'the update failed', at };
    });
    const record = `${name}-hold-a`;
    await records.create({
      apiVersion: 'dbupdate.dev/v1alpha1',
      kind: 'DatabaseUpdate',
      metadata: { name: record, namespace: rns, labels: { 'dbupdate.dev/engine': 'mysql', 'dbupdate.dev/database': 'hold-a', 'dbupdate.dev/database-namespace': ns('demo'), [LABEL_BATCH]: name } },
      spec: { engine: 'MySQL', database: { cluster: w.config.clusterName, namespace: ns('demo'), name: 'hold-a' }, requestedVersion: '8.0.36', fromVersion: '8.0.35', targetVersion: '8.0.36', updateType: 'patch', backend: 'ops-request', requester: USERS.requester, channel: CHANNEL, expiresAt, approvers: [USERS.approver], approvalsRequired: 1, batch: name },
    } as never);
    await records.mutateStatus(record, (st) => {
      st.phase = 'Approved';
      st.approvals = [{ user: USERS.approver, at }];
    });
    // Held: past more than one recheck (HOLD_RECHECK_MS, 5 s) it has not started, and the database is untouched.
    await new Promise((r) => setTimeout(r, 7000));
    expect((await records.get(record))?.status?.phase).toBe('Approved');
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'hold-a'))?.spec.version).toBe('8.0.35');
    // Nothing holds it once the batch is gone: it starts and finishes.
    await databaseUpdateBatches(w.cluster.kube).delete(rns, name);
    await pollUntil(async () => (await records.get(record))?.status?.phase === 'Succeeded' || undefined, 60_000, () => 'the released member to finish');
    expect((await getDatabase(w.cluster.kube, mysql, ns('demo'), 'hold-a'))?.spec.version).toBe('8.0.36');
  }, 120_000);

  it('retention deletes the finished batches past recordRetention, through the bot\'s own RBAC, and keeps the others', async () => {
    const bot = new BatchStore(w.cluster.botKube, w.config.recordsNamespace);
    const all = await bot.list();
    expect(all.length).toBeGreaterThan(0);
    expect(all.every((b) => batchFinished(b.status?.phase))).toBe(true);
    // A day's retention keeps them all (they finished minutes ago); none at all deletes every one.
    expect(await sweepBatchRetention({ batches: bot, retentionMs: 86_400_000, log: createLogger('silent') })).toEqual({ batches: 0, errors: 0 });
    expect(await sweepBatchRetention({ batches: bot, retentionMs: 0, log: createLogger('silent'), now: () => new Date(Date.now() + 1000) })).toEqual({ batches: all.length, errors: 0 });
    expect(await bot.list()).toEqual([]);
  });
});
