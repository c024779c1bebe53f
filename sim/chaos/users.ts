/**
 * People in the chaos run: alice types `/dbupdate …`, bob clicks Approve, through the Slack emulator's
 * Socket Mode as Slack delivers them. Like people, they try again when Slack shows them an error (no
 * connection, no ack within 3 s) or when nothing happens; unlike people, they keep score: every command
 * and click the bot acknowledged is kept, with whether the bot answered it (a response, the request's
 * parent message in the channel, the approval recorded).
 */
import type { SlackEmulator } from '../slack/server.js';
import type { Store } from '../kube/store.js';
import { buttonValue } from '../script.js';
import { ACTION_APPROVE } from '../../src/slack/render.js';
import { RECORD_GROUP, RECORD_PLURAL, RECORD_VERSION, type DatabaseUpdate } from '../../src/api/v1alpha1/databaseupdate.js';

/** GVR of the bot's records. */
export const RECORD_GVR = { group: RECORD_GROUP, version: RECORD_VERSION, plural: RECORD_PLURAL };

/** A command the bot acknowledged. */
export interface AckedCommand {
  database: string;
  text: string;
  ackedAt: number;
  /** Bodies the bot POSTed to the command's `response_url`. */
  responses: () => unknown[];
  /**
   * The ack's text when it was the answer itself (a refusal, or the request recorded, shown to the person
   * as an ephemeral message at once); undefined for an empty ack and for one saying the answer is still coming.
   */
  answerInAck?: string;
  /** The record that appeared for the database after this command, before any other command for it. */
  record?: string;
}

/** An Approve click the bot acknowledged. */
export interface AckedClick {
  record: string;
  user: string;
  /** When the click was sent (epoch ms). */
  sentAt: number;
  ackedAt: number;
  /** Whether the approval was on the record within `answerTimeoutMs` of the ack (the person's view; see {@link clickAnswered}). */
  answered: boolean;
}

/**
 * Whether an acked click was answered, judged after the run: the vote it asked for is on the record with
 * a time from the click on (before the same person's next click on the record), or the bot told the
 * person why not (an ephemeral message in that window). A vote's `at` is the handler's clock when it
 * counted the click (src/updates/state.ts), on the same machine as the harness.
 * @param votes the record's `status.approvals`; @param ephemeralsTo epoch ms of the ephemerals to the person.
 */
export function clickAnswered(click: AckedClick, nextSentAt: number | undefined, votes: ReadonlyArray<{ user: string; at: string }>, ephemeralsTo: readonly number[]): boolean {
  const inWindow = (t: number) => t >= click.sentAt - 1000 && (nextSentAt === undefined || t < nextSentAt);
  return votes.some((v) => v.user === click.user && inWindow(Date.parse(v.at))) || ephemeralsTo.some(inWindow);
}

/**
 * The answer an ack carried, if it was one: its `text`, unless it says the answer is still to come
 * (src/slack/listeners/commands/request.ts: "The answer comes here…"), or undefined.
 */
export function answerInAck(ackPayload: unknown): string | undefined {
  const text = (ackPayload as { text?: unknown } | undefined)?.text;
  if (typeof text !== 'string' || text === '' || /The answer comes here/.test(text)) return undefined;
  return text;
}

/** What the people did. */
export interface UserCounts {
  commandsSent: number;
  /** Commands Slack could not deliver or the bot did not ack within 3 s (the user saw an error and retried). */
  commandsNotAcked: number;
  /** Commands answered with a refusal (e.g. "Could not check the request…" on an API error); the user asked again. */
  commandsRefused: number;
  clicksSent: number;
  clicksNotAcked: number;
}

/** Options of {@link People}. */
export interface PeopleOptions {
  slack: SlackEmulator;
  store: Store;
  recordsNamespace: string;
  channel: string;
  requester: string;
  approver: string;
  /** How long a person waits for an answer to an acked command or click before trying again (ms). */
  answerTimeoutMs: number;
  log: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The people of a run and their score. */
export class People {
  readonly ackedCommands: AckedCommand[] = [];
  readonly ackedClicks: AckedClick[] = [];
  readonly counts: UserCounts = { commandsSent: 0, commandsNotAcked: 0, commandsRefused: 0, clicksSent: 0, clicksNotAcked: 0 };

  constructor(private readonly o: PeopleOptions) {}

  /** Records of `namespace/name`, oldest first. */
  recordsFor(namespace: string, name: string): DatabaseUpdate[] {
    return (this.o.store.list(RECORD_GVR, this.o.recordsNamespace).items as unknown as DatabaseUpdate[])
      .filter((r) => r.spec.database.namespace === namespace && r.spec.database.name === name)
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
  }

  private record(name: string): DatabaseUpdate | undefined {
    return this.o.store.tryGet(RECORD_GVR, this.o.recordsNamespace, name) as unknown as DatabaseUpdate | undefined;
  }

  private async until<T>(fn: () => T | undefined | false, timeoutMs: number): Promise<T | undefined> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > end) return undefined;
      await sleep(100);
    }
  }

  /**
   * Ask for an update (`/dbupdate <text>` for database `namespace/name`) until a record of it has its
   * parent message, then approve it until the approval is recorded. Resolves with the record's name.
   * @throws Error when that has not happened by `deadline` (epoch ms).
   */
  async requestAndApprove(namespace: string, name: string, text: string, deadline: number): Promise<string> {
    const recordName = await this.request(namespace, name, text, deadline);
    await this.approve(recordName, deadline);
    return recordName;
  }

  private async request(namespace: string, name: string, text: string, deadline: number): Promise<string> {
    let failing = false;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no request of ${namespace}/${name} was posted in the channel in time (${this.counts.commandsSent} commands sent in the run)`);
      const existing = this.recordsFor(namespace, name);
      const posted = existing.find((r) => r.status?.slack?.ts);
      if (posted) return posted.metadata.name;
      if (existing.length > 0) {
        await sleep(200); // recorded; the parent message is on its way
        continue;
      }
      this.counts.commandsSent++;
      let cmd: Awaited<ReturnType<SlackEmulator['typeCommand']>>;
      try {
        cmd = await this.o.slack.typeCommand({ user: this.o.requester, channel: this.o.channel, text });
      } catch (err) {
        this.counts.commandsNotAcked++;
        if (!failing) this.o.log(`   alice: /dbupdate ${text} not acked (${(err as Error).message.slice(0, 80)}); retrying every 2 s`);
        failing = true;
        await sleep(2000);
        continue;
      }
      failing = false;
      const acked: AckedCommand = { database: `${namespace}/${name}`, text, ackedAt: Date.now(), responses: cmd.responses, answerInAck: answerInAck(cmd.ackPayload) };
      this.ackedCommands.push(acked);
      const got = await this.until<DatabaseUpdate | 'answered'>(() => this.recordsFor(namespace, name)[0] ?? (cmd.responses().length > 0 || (acked.answerInAck && !/recorded/.test(acked.answerInAck)) ? 'answered' : undefined), this.o.answerTimeoutMs);
      if (got && got !== 'answered') acked.record = got.metadata.name;
      else if (got === 'answered') {
        this.counts.commandsRefused++;
        this.o.log(`   alice: /dbupdate ${text} refused: ${(acked.answerInAck ?? JSON.stringify(cmd.responses().at(-1))).slice(0, 160)}; retrying`);
        await sleep(1000);
      } else this.o.log(`   alice: /dbupdate ${text} acked (${JSON.stringify(cmd.ackPayload ?? null).slice(0, 120)}) but unanswered after ${this.o.answerTimeoutMs} ms; retrying`);
    }
  }

  private async approve(recordName: string, deadline: number): Promise<void> {
    const approved = () => {
      const r = this.record(recordName);
      return !!r && ((r.status?.approvals ?? []).some((v) => v.user === this.o.approver) || !['Pending', undefined].includes(r.status?.phase));
    };
    let failing = false;
    for (;;) {
      if (approved()) return;
      if (Date.now() > deadline) throw new Error(`the approval of ${recordName} was not recorded in time`);
      const ts = this.record(recordName)?.status?.slack?.ts;
      const parent = ts ? this.o.slack.message(this.o.channel, ts) : undefined;
      const value = parent ? buttonValue(parent, ACTION_APPROVE) : undefined;
      if (!parent || value === undefined) {
        await sleep(200);
        continue;
      }
      this.counts.clicksSent++;
      const sentAt = Date.now();
      try {
        await this.o.slack.clickButton({ user: this.o.approver, channel: this.o.channel, messageTs: parent.ts, actionId: ACTION_APPROVE, value });
      } catch (err) {
        this.counts.clicksNotAcked++;
        if (!failing) this.o.log(`   bob: Approve on ${recordName} not acked (${(err as Error).message.slice(0, 80)}); retrying every 2 s`);
        failing = true;
        await sleep(2000);
        continue;
      }
      failing = false;
      const click: AckedClick = { record: recordName, user: this.o.approver, sentAt, ackedAt: Date.now(), answered: false };
      this.ackedClicks.push(click);
      click.answered = (await this.until(approved, this.o.answerTimeoutMs)) === true;
      if (!click.answered) this.o.log(`   bob: Approve on ${recordName} acked but not recorded after ${this.o.answerTimeoutMs} ms; clicking again`);
    }
  }
}
