/**
 * The browser console end to end: the embedded world (cluster emulator with simulated KubeDB, Slack
 * emulator, the real bot) behind `startConsole`, driven in Debian's headless Chromium through
 * playwright-core. The page is loaded once and never reloaded, so every change seen after an action
 * arrived through the live (SSE) updates. Screenshots go to test-output/console/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startWorld, USERS, CHANNEL, type World } from '../sim/world.js';
import { startConsole, type Console } from '../console/server.js';

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

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`).toBe(true);
  mkdirSync(OUT, { recursive: true });
  // slow enough that the mid-run screenshot shows a running update
  w = await startWorld({ sim: { podReadyDelayMs: 500, stepDelayMs: 500 } });
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
    await expect(page.locator('.msg-ephemeral', { hasText: 'recorded' }).locator('.ephemeral-note').textContent()).resolves.toContain('Only visible to you');
    const { ts, msg: parent } = await newestRequest();
    await expect(content(parent).textContent()).resolves.toMatch(/Waiting for approval/);
    await expect(content(parent).locator('.mention', { hasText: '@alice' }).count()).resolves.toBeGreaterThan(0);
    await expect(content(parent).locator('.emoji[title=":hourglass_flowing_sand:"]').textContent()).resolves.toBe('⏳');
    // user-typed HTML is shown as text, never run or parsed
    await expect(content(parent).textContent()).resolves.toContain(xssReason);
    await expect(page.locator('.messages img, .messages script').count()).resolves.toBe(0);
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
    await shot('01-alice-requested');

    // bob does not see alice's ephemeral messages; he clicks Approve
    await actAs(USERS.approver);
    await expect(page.locator('.msg-ephemeral').count()).resolves.toBe(0);
    await expect(page.locator('.msg-command').count()).resolves.toBe(0);
    await content(parent).locator('button[data-action-id="dbupdate_approve"]').click();

    // the thread fills while the page stays loaded (live updates)
    const thread = parent.locator('details.thread');
    await thread.waitFor();
    await thread.locator('summary').click();
    await parent.locator('.replies .msg', { hasText: /Paused/ }).waitFor();
    await shot('02-bob-approved-running');
    for (const step of [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/]) await parent.locator('.replies .msg', { hasText: step }).waitFor();
    await content(parent).getByText('Succeeded').waitFor();
    const replies = await parent.locator('.replies .msg .msg-content').allTextContents();
    const order = [/Paused/, /Images updated/, /Checks passed/, /Resumed/, /Done/].map((re) => replies.findIndex((r) => re.test(r)));
    expect(order, replies.join('\n')).toEqual([...order].sort((a, b) => a - b));
    await expect(content(parent).locator('button').count()).resolves.toBe(0);
    await expect(content(parent).locator('.edited').textContent()).resolves.toBe('(edited)');
    await expect(content(parent).textContent()).resolves.toContain('🎉');

    // the cluster panel: orders on 8.4.x, the OpsRequest and the record done
    const orders = page.locator('.k-databases tr', { hasText: 'orders' });
    await orders.locator('code', { hasText: /^8\.4\.\d+$/ }).waitFor();
    await page.locator('.k-ops tr', { hasText: 'UpdateVersion' }).waitFor();
    await page.locator('.k-records tr', { hasText: 'Succeeded' }).waitFor();
    await parent.locator('.replies .msg', { hasText: /Done/ }).scrollIntoViewIfNeeded();
    await shot('03-succeeded');

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
    await expect(content(parent).textContent()).resolves.toContain('ledger');

    await actAs(USERS.approver2);
    const modal = page.locator('#modal-backdrop:not([hidden]) .modal');
    await content(parent).locator('button[data-action-id="dbupdate_reject"]').click();
    await modal.locator('textarea').waitFor();
    await expect(modal.locator('.modal-title').textContent()).resolves.toBe('Reject update');
    await modal.locator('[data-modal="cancel"]').click();
    await page.locator('#modal-backdrop[hidden]').waitFor({ state: 'attached' });
    expect(w.slack.openViews()).toHaveLength(0);
    await expect(content(parent).textContent()).resolves.toMatch(/Waiting for approval/);

    await content(parent).locator('button[data-action-id="dbupdate_reject"]').click();
    await modal.locator('textarea').waitFor();
    const reason = '<img src=x onerror="window.__xss=3"> not during month end';
    await modal.locator('textarea').fill(reason);
    await shot('04-carol-reject-modal');
    await modal.locator('[data-modal="submit"]').click();
    await page.locator('#modal-backdrop[hidden]').waitFor({ state: 'attached' });
    await content(parent).getByText('Rejected').waitFor();
    await expect(content(parent).textContent()).resolves.toContain(`Rejected by @carol: ${reason}`);
    await expect(page.locator('.messages img').count()).resolves.toBe(0);
    await expect(page.evaluate('window.__xss')).resolves.toBeUndefined();
    await page.locator('.k-records tr', { hasText: 'Rejected' }).waitFor();
    await shot('05-rejected');
    expect(JSON.stringify(w.slack.message(CHANNEL, ts)!.blocks)).toContain('Rejected');
  }, 180_000);

  it('a command the workspace does not have is refused with a clear error and nothing is sent', async () => {
    const before = w.slack.envelopes().length;
    await type('/deploy everything');
    await page.locator('#composer-error', { hasText: '/deploy is not a valid command' }).waitFor();
    await expect(page.locator('#composer-input').inputValue()).resolves.toBe('/deploy everything');
    expect(w.slack.envelopes().length).toBe(before);
    await page.locator('#composer-input').fill('');
  });
});
