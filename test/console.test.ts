/**
 * The browser console end to end: the embedded world (cluster emulator with simulated KubeDB, Slack
 * emulator, the real bot) behind `startConsole`, driven in Debian's headless Chromium through
 * playwright-core. The page is loaded once and never reloaded, so every change seen after an action
 * arrived through the live (SSE) updates. Screenshots go to test-output/console/.
 *
 * Deterministic under load: every wait is a Playwright locator's own (`waitFor`, actions that auto-wait)
 * or `expect.poll` over a locator, never a sleep; and the page patches a re-render instead of replacing it
 * (console/static/app.js), so an element found stays attached while the thread grows — checked below.
 * Layout (#20 item 7): at 1024, 1440 and 1920 px every element's box is measured against its pane and the
 * window ({@link clipped}); no pixel comparison.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { startConsole, type Console } from '../console/server.js';
import { USAGE } from '../src/command/help.js';
import { ACTION_BATCH_APPROVE } from '../src/slack/render-batch.js';
import { databaseObject } from '../sim/kubedb/seed.js';
import { databases } from '../src/kube/resources.js';
import { findEngine } from '../src/engines/table.js';

const CHROMIUM = '/usr/bin/chromium';
/** Without the background-networking flags Chromium's own connections are refused on a closed network. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = resolve('test-output/console');
/** Generous waits: the machine is shared and the update runs through the real bot and simulated KubeDB. */
const WAIT = 90_000;

let w: World;
let con: Console;
let ctx: BrowserContext;
let page: Page;
let profile: string;

async function shot(name: string): Promise<void> {
  const path = join(OUT, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  console.log(`screenshot: ${path}`);
}

async function actAs(user: string): Promise<void> {
  await page.locator(`.user[data-user="${user}"]`).click();
  await page.locator(`.user.active[data-user="${user}"]`).waitFor();
  // the page marks <body data-viewer> once it shows the view fetched for that user
  await page.locator(`body[data-viewer="${user}"]`).waitFor({ state: 'attached' });
}

async function type(text: string): Promise<void> {
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
}

/** The newest top-level message with an Approve button, and its ts. */
async function newestRequest(): Promise<{ ts: string; msg: Locator }> {
  const msg = page.locator('.messages > .msg', { has: page.locator('button[data-action-id="dbupdate_approve"]') }).last();
  await msg.waitFor({ timeout: WAIT });
  const ts = (await msg.getAttribute('data-ts'))!;
  return { ts, msg: page.locator(`.messages > .msg[data-ts="${ts}"]`) };
}

/** The top-level content of a message (its blocks, not its thread). */
const content = (msg: Locator) => msg.locator(':scope > .msg-body > .msg-content');

/** The widths screenshots are taken at (px). */
const WIDTHS = [1024, 1440, 1920];
/** The widths the console must fit without clipping (px): the screenshots' and each side of every breakpoint of app.css. */
const CHECKED_WIDTHS = [1024, 1279, 1280, 1440, 1599, 1600, 1920];

/**
 * What the page clips or pushes out at the current size, measured in the page: an element whose box
 * leaves its pane (sidebar, channel, thread pane, cluster panel) sideways, panes that overlap, a pane
 * outside the window or narrower than 300 px (the sidebar 150), a scroll box that scrolls sideways, and a
 * page wider than the window. Each problem as one line naming the element; [] when everything fits.
 */
async function clipped(p: Page): Promise<string[]> {
  return p.evaluate(CLIPPED) as Promise<string[]>;
}

/** The measurement of {@link clipped}, run in the page (a string: this project compiles without the DOM types). */
const CLIPPED = `(() => {
  const problems = [];
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + [...el.classList].map((c) => '.' + c).join('') + ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const vw = window.innerWidth;
  if (document.documentElement.scrollWidth > vw) problems.push('the page is ' + document.documentElement.scrollWidth + ' px wide in a ' + vw + ' px window');
  const panes = [...document.querySelectorAll('.sidebar, .channel, .thread-pane, .cluster')].filter((p) => getComputedStyle(p).display !== 'none');
  for (const [i, a] of panes.entries()) for (const b of panes.slice(i + 1)) {
    const x = a.getBoundingClientRect(), y = b.getBoundingClientRect();
    if (Math.min(x.right, y.right) - Math.max(x.left, y.left) > 0.5 && Math.min(x.bottom, y.bottom) - Math.max(x.top, y.top) > 0.5) problems.push(name(a).split(' ')[0] + ' and ' + name(b).split(' ')[0] + ' overlap');
  }
  for (const pane of panes) {
    const pr = pane.getBoundingClientRect();
    const where = name(pane).split(' ')[0] + ' [' + pr.left + ', ' + pr.right + ']';
    if (pr.left < -0.5 || pr.right > vw + 0.5) problems.push(where + ' is outside the ' + vw + ' px window');
    if (pr.width < (pane.classList.contains('sidebar') ? 150 : 300)) problems.push(where + ' is only ' + pr.width + ' px wide');
    for (const el of [pane, ...pane.querySelectorAll('*')]) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (el !== pane && (r.left < pr.left - 0.5 || r.right > pr.right + 0.5)) problems.push(name(el) + ' [' + r.left + ', ' + r.right + '] leaves ' + where);
      if (getComputedStyle(el).overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) problems.push(name(el) + ' scrolls sideways (' + el.scrollWidth + ' > ' + el.clientWidth + ' px)');
    }
  }
  return problems.slice(0, 20);
})()`;

/** Whether `el` is wholly inside the visible part of its scroll box `box` (both boxes measured in the page). */
async function inView(el: Locator, box: Locator): Promise<boolean> {
  const [r, b] = await Promise.all([el.boundingBox(), box.boundingBox()]);
  return !!r && !!b && r.y >= b.y - 0.5 && r.y + r.height <= b.y + b.height + 0.5;
}

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
  mkdirSync(OUT, { recursive: true });
  // slow enough that the mid-run screenshot shows a running update
  w = await startWorld({ sim: { podReadyDelayMs: 500, stepDelayMs: 500 }, config: { fleet: { maxParallel: 2, soak: '1s' } }, batchEditMs: 200 });
  con = await startConsole({ slack: w.slack, store: w.cluster.store, channel: CHANNEL });
  profile = mkdtempSync(join(tmpdir(), 'dbupdate-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 } });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(WAIT);
  await page.goto(con.url);
  await page.locator('.user').first().waitFor();
}, 120_000);

afterAll(async () => {
  await ctx?.close();
  await con?.stop();
  await w?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('npm run console in headless Chromium', () => {
  it('alice asks, bob approves, the thread and the parent update live, the cluster panel shows the new version; typed HTML stays text', async () => {
    await actAs(USERS.requester);
    const xssReason = '<script>window.__xss=1</script> <img src=x onerror="window.__xss=2">';
    await type(`/dbupdate mysql orders 8.4 --reason '${xssReason}'`);

    // the ephemeral answer, only for alice
    await page.locator('.msg-ephemeral', { hasText: 'recorded' }).waitFor();
    await page.locator('.msg-ephemeral', { hasText: 'recorded' }).locator('.ephemeral-note', { hasText: 'Only visible to you' }).waitFor();
    const { ts, msg: parent } = await newestRequest();
    await content(parent).getByText(/Waiting for approval/).waitFor();
    await content(parent).locator('.mention', { hasText: '@alice' }).first().waitFor();
    await expect.poll(() => content(parent).locator('.emoji[title=":hourglass_flowing_sand:"]').textContent()).toBe('⏳');
    // user-typed HTML is shown as text, never run or parsed
    await expect.poll(() => content(parent).textContent()).toContain(xssReason);
    await expect.poll(() => page.locator('.messages img, .messages script').count()).toBe(0);
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
    await shot('01-alice-requested');

    // bob does not see alice's ephemeral messages; he clicks Approve
    await actAs(USERS.approver);
    await expect.poll(() => page.locator('.msg-ephemeral').count()).toBe(0);
    await expect.poll(() => page.locator('.msg-command').count()).toBe(0);
    await content(parent).locator('button[data-action-id="dbupdate_approve"]').click();

    // the thread opens in a side pane, right of the channel, and fills while the page stays loaded
    await parent.locator('.thread-link').click();
    const pane = page.locator('#thread-pane:not([hidden])');
    const replies = pane.locator('.replies');
    await replies.locator('.msg', { hasText: /Paused/ }).waitFor();
    const [channelBox, paneBox] = await Promise.all([page.locator('.channel').boundingBox(), pane.boundingBox()]);
    expect(paneBox!.x).toBeGreaterThanOrEqual(channelBox!.x + channelBox!.width - 1);
    await expect.poll(() => pane.locator('.thread-parent').textContent()).toContain('Database update: orders');
    const paused = await replies.locator('.msg', { hasText: /Paused/ }).elementHandle();
    await shot('02-bob-approved-running');
    for (const step of [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/]) await replies.locator('.msg', { hasText: step }).waitFor();
    await content(parent).getByText('Succeeded').waitFor();
    // a re-render patches the page: the reply found before the others arrived is still the one shown
    await expect(paused!.evaluate((el) => el.isConnected)).resolves.toBe(true);
    const texts = await replies.locator('.msg .msg-content').allTextContents();
    const order = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/].map((re) => texts.findIndex((r) => re.test(r)));
    expect(order, texts.join('\n')).toEqual([...order].sort((a, b) => a - b));
    // the newest reply was scrolled into view as it arrived (the thread is taller than its pane)
    const body = page.locator('#thread');
    await expect.poll(() => body.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await expect.poll(() => inView(replies.locator('.msg', { hasText: /Done/ }), body)).toBe(true);
    await expect.poll(() => content(parent).locator('button').count()).toBe(0);
    await expect.poll(() => content(parent).locator('.edited').textContent()).toBe('(edited)');
    await expect.poll(() => content(parent).textContent()).toContain('🎉');
    await expect.poll(() => parent.locator('.thread-link .reply-count').textContent()).toMatch(/^\d+ replies$/);

    // the cluster panel: orders on 8.4.x, the OpsRequest and the record done
    const orders = page.locator('.k-databases tr', { hasText: 'orders' });
    await orders.locator('code', { hasText: /^8\.4\.\d+$/ }).waitFor();
    await page.locator('.k-ops tr', { hasText: 'UpdateVersion' }).waitFor();
    await page.locator('.k-records tr', { hasText: 'Succeeded' }).waitFor();

    // nothing clipped at three widths, the thread open and closed; the newest reply stays in view
    for (const width of CHECKED_WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await expect.poll(() => page.evaluate('window.innerWidth')).toBe(width);
      await expect.poll(() => inView(replies.locator('.msg', { hasText: /Done/ }), body)).toBe(true);
      if (WIDTHS.includes(width)) await shot(`03-succeeded-${width}px`);
      expect(await clipped(page), `at ${width} px with the thread open`).toEqual([]);
    }
    await page.locator('#thread-close').click();
    await page.locator('#thread-pane').waitFor({ state: 'hidden' });
    for (const width of CHECKED_WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await expect.poll(() => page.evaluate('window.innerWidth')).toBe(width);
      expect(await clipped(page), `at ${width} px without a thread`).toEqual([]);
    }
    await page.setViewportSize({ width: 1440, height: 900 });

    // what the page shows is what the emulator holds
    const stored = w.slack.message(CHANNEL, ts)!;
    expect(JSON.stringify(stored.blocks)).toContain('Succeeded');
    expect(w.slack.replies(CHANNEL, ts).map((m) => m.text).join('\n')).toMatch(/Done/);
  }, 240_000);

  it('carol cancels the reject modal, then rejects through it with a reason that stays text', async () => {
    await actAs(USERS.requester);
    await type('/dbupdate postgres billing/ledger 16');
    await page.locator('.msg-ephemeral', { hasText: 'recorded' }).nth(1).waitFor();
    const { ts, msg: parent } = await newestRequest();
    await expect.poll(() => content(parent).textContent()).toContain('ledger');

    await actAs(USERS.approver2);
    const modal = page.locator('#modal-backdrop:not([hidden]) .modal');
    await content(parent).locator('button[data-action-id="dbupdate_reject"]').click();
    await modal.locator('textarea').waitFor();
    await expect.poll(() => modal.locator('.modal-title').textContent()).toBe('Reject update');
    await modal.locator('[data-modal="cancel"]').click();
    await page.locator('#modal-backdrop[hidden]').waitFor({ state: 'attached' });
    expect(w.slack.openViews()).toHaveLength(0);
    await content(parent).getByText(/Waiting for approval/).waitFor();

    await content(parent).locator('button[data-action-id="dbupdate_reject"]').click();
    await modal.locator('textarea').waitFor();
    const reason = '<img src=x onerror="window.__xss=3"> not during month end';
    await modal.locator('textarea').fill(reason);
    await shot('04-carol-reject-modal');
    await modal.locator('[data-modal="submit"]').click();
    await page.locator('#modal-backdrop[hidden]').waitFor({ state: 'attached' });
    await content(parent).getByText('Rejected').waitFor();
    await expect.poll(() => content(parent).textContent()).toContain(`Rejected by @carol: ${reason}`);
    await expect.poll(() => page.locator('.messages img').count()).toBe(0);
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
    await page.locator('.k-records tr', { hasText: 'Rejected' }).waitFor();
    await shot('05-rejected');
    expect(JSON.stringify(w.slack.message(CHANNEL, ts)!.blocks)).toContain('Rejected');
  }, 180_000);

  it('a command the workspace does not have is refused with a clear error that goes once the input changes; nothing is sent', async () => {
    const before = w.slack.envelopes().length;
    const error = page.locator('#composer-error', { hasText: '/deploy is not a valid command' });
    await type('/deploy everything');
    await error.waitFor();
    await expect.poll(() => page.locator('#composer-input').inputValue()).toBe('/deploy everything');
    expect(w.slack.envelopes().length).toBe(before);
    // a stale error does not outlive what it was about: editing, clearing, or another user
    await page.locator('#composer-input').press('Backspace');
    await error.waitFor({ state: 'detached' });
    await type('/deploy again');
    await error.waitFor();
    await page.locator('#composer-input').fill('');
    await error.waitFor({ state: 'detached' });
    await type('/deploy once more');
    await error.waitFor();
    await actAs(USERS.approver);
    await error.waitFor({ state: 'detached' });
    await page.locator('#composer-input').fill('');
    expect(w.slack.envelopes().length).toBe(before);
  });

  it('drift: a group\'s Request update opens the request form prefilled (engine, database, version, channel); submitted, it answers in a view with no submit button', async () => {
    await actAs(USERS.requester);
    await type('/dbupdate drift postgres');
    const report = page.locator('.messages .msg-ephemeral', { hasText: 'Version drift in cluster' }).last();
    await report.locator('button', { hasText: 'Request update' }).first().waitFor();
    // rows with a button beside them fit the narrowest width too
    await page.setViewportSize({ width: 1024, height: 900 });
    await expect.poll(() => page.evaluate('window.innerWidth')).toBe(1024);
    expect(await clipped(page), 'the drift report at 1024 px').toEqual([]);
    await page.setViewportSize({ width: 1440, height: 900 });
    // two rows share the action_id (blocks without block_id): the button clicked is the one that counts
    await report.locator('.blk-section', { hasText: 'behind the newest minor' }).locator('button', { hasText: 'Request update' }).click();
    const modal = page.locator('#modal-backdrop:not([hidden]) .modal');
    await modal.locator('select[data-type="static_select"]').waitFor();
    await expect.poll(() => modal.locator('select[data-type="static_select"]').inputValue()).toBe('postgres');
    await expect.poll(() => modal.locator('select[data-type="channels_select"]').inputValue()).toBe(CHANNEL);
    const inputs = await modal.locator('input[data-type="plain_text_input"]').evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value));
    expect(inputs.slice(0, 2)).toEqual(['billing/ledger', '15.17']);
    await shot('07-drift-request-form');
    await modal.locator('[data-modal="submit"]').click();
    await modal.getByText(/Request `?ledger-[0-9a-f]{8}`? recorded: 15\.8 → 15\.17 \(minor\)/).waitFor();
    await expect.poll(() => modal.locator('[data-modal="submit"]').count()).toBe(0);
    await modal.locator('[data-modal="cancel"]').click();
    await page.locator('#modal-backdrop[hidden]').waitFor({ state: 'attached' });
    await page.locator('.k-records tr', { hasText: '15.17' }).waitFor();
  });

  it('fleet: alice asks for a label selector, sees the plan, bob approves the batch once; the live table ends Succeeded and the cluster panel shows the members updated', async () => {
    const mysql = findEngine('mysql')!;
    for (const name of ['team-a', 'team-b']) {
      const obj = databaseObject({ engine: 'mysql', namespace: 'demo', name, version: '8.0.35', replicas: 1, becomesReady: true });
      await databases(w.cluster.kube, mysql).create({ ...obj, metadata: { ...obj.metadata, labels: { tier: 'staging' } } } as never);
    }
    await page.locator('.k-databases tr', { hasText: 'team-b' }).locator('code', { hasText: '8.0.35' }).waitFor();
    await expect.poll(async () => (await databases(w.cluster.kube, mysql).get('demo', 'team-b'))?.status?.phase, { timeout: WAIT }).toBe('Ready');
    await actAs(USERS.requester);
    await type('/dbupdate mysql -l tier=staging 8.0.36');
    const plan = page.locator('.messages .msg-ephemeral', { hasText: 'Fleet update requested' }).last();
    await plan.getByText('Will update (2)').waitFor();
    await expect.poll(() => plan.textContent()).toMatch(/demo\/team-a[^]*8\.0\.35[^]*8\.0\.36/);
    const parent = page.locator('.messages .msg', { hasText: 'Fleet update: MySQL' }).last();
    await content(parent).locator(`button[data-action-id="${ACTION_BATCH_APPROVE}"]`).waitFor();
    await shot('08-fleet-plan');
    await actAs(USERS.approver);
    await content(parent).locator(`button[data-action-id="${ACTION_BATCH_APPROVE}"]`).click();
    await content(parent).getByText(/every member updated/).waitFor();
    await expect.poll(() => content(parent).locator('button').count()).toBe(0);
    for (const name of ['team-a', 'team-b']) await page.locator('.k-databases tr', { hasText: name }).locator('code', { hasText: '8.0.36' }).waitFor();
    await parent.locator('.thread-link').click();
    const replies = page.locator('#thread-pane:not([hidden]) .replies');
    for (const line of [/Approved by @bob/, /Wave 1 of 2 \(canary\)/, /Wave 2 of 2/, /Succeeded/]) await replies.locator('.msg', { hasText: line }).waitFor();
    await shot('09-fleet-succeeded');
    expect(await clipped(page), 'the fleet table and its thread').toEqual([]);
    await page.locator('#thread-close').click();
  });

  it('help is readable: a few example commands, the rest words, the full syntax in one block, in view', async () => {
    await actAs(USERS.requester);
    await type('/dbupdate help');
    const help = page.locator('.messages .msg-ephemeral', { hasText: 'Syntax' }).last();
    await help.locator('pre').waitFor();
    const pre = (await help.locator('pre').textContent()) ?? '';
    for (const u of Object.values(USAGE)) expect(pre).toContain(u.replace(/^`|`$/g, ''));
    const spans = await help.locator('.msg-content code').allTextContents();
    expect(spans.length).toBeLessThanOrEqual(8);
    for (const c of spans) expect(c).toMatch(/^\/dbupdate /);
    // what was sent, and its answer, were scrolled into view
    await expect.poll(() => inView(help.locator('pre'), page.locator('#messages'))).toBe(true);
    await shot('06-help');
    expect(await clipped(page)).toEqual([]);
  });
});
