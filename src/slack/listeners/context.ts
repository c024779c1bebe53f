/**
 * What every listener of `./` shares, built once per Bolt app by `registerListeners` (`./index.ts`): the
 * dependencies, the follow-up queue, this app's identity, and the small I/O helpers for answering.
 */
import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Kube } from '../../kube/client.js';
import { statusMessage } from '../../kube/errors.js';
import { ACK_BUDGET_MS, ACK_START_MS, type AckTiming } from '../ack.js';
import type { HandlerDeps, Reply } from '../deps.js';
import { FOLLOW_UP_DEFAULTS, type FollowUpQueue } from '../followup.js';
import type { AppIdentity } from '../identity.js';

/** Shared by the listeners of one Bolt app. */
export interface ListenerContext {
  deps: HandlerDeps;
  queue: FollowUpQueue;
  now: () => Date;
  identity: AppIdentity;
  /** The ack timing of an envelope that arrived at `arrivedAt` (`performance.now()`). */
  timing(arrivedAt: number): AckTiming;
  /** Answer through `response_url`; a failure (expired URL, Slack down) is logged, never thrown. */
  answer(respond: RespondFn, text: Reply): Promise<void>;
  /** Post an ephemeral message; a failure is logged, never thrown. */
  ephemeral(client: WebClient, channel: string, user: string, text: Reply): Promise<void>;
  /** The cluster a command is for: `named` if given, else the channel's default, else home; undefined when unknown. */
  clusterOf(named: string | undefined, channel: string): Kube | undefined;
}

/** Build the context of one Bolt app's listeners. */
export function listenerContext(deps: HandlerDeps, queue: FollowUpQueue, identity: AppIdentity): ListenerContext {
  const { log } = deps;
  const budgetMs = deps.ackBudgetMs ?? ACK_BUDGET_MS;
  const startMs = deps.ackStartMs ?? ACK_START_MS;
  const concurrency = deps.followUps?.concurrency ?? FOLLOW_UP_DEFAULTS.concurrency;
  return {
    deps,
    queue,
    identity,
    now: deps.now ?? (() => new Date()),
    timing: (arrivedAt) => ({ arrivedAt, startMs, budgetMs, concurrency }),
    async answer(respond, text) {
      try {
        await respond({ response_type: 'ephemeral', text });
      } catch (err) {
        log.warn({ err: statusMessage(err) }, 'could not answer through response_url');
      }
    },
    async ephemeral(client, channel, user, text) {
      try {
        await client.chat.postEphemeral({ channel, user, text });
      } catch (err) {
        log.warn({ err: statusMessage(err), channel, user }, 'could not post an ephemeral answer');
      }
    },
    clusterOf(named, channel) {
      const name = named ?? deps.channelCluster?.(channel) ?? deps.clusters.home.name;
      return deps.clusters.get(name);
    },
  };
}
